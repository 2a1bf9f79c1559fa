"""The AWS pipeline: jobs, queue messages, the DynamoDB store, conversion and table stages, completion, sweeper, dead letters. The only package that imports boto3."""
