"""AWS CDK infrastructure of doctables (one stack, constructs split by concern)."""
