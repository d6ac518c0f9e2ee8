"""`pyshell dev`: watch the app's files and keep the running window in step with them."""
