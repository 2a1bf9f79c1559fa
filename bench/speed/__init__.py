"""Speed and cost benchmark: conversion (PyMuPDF vs pdftoppm), table stage, end to end through the
local runner, and dollars per 1,000 pages beside Amazon Textract."""
