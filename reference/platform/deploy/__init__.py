"""What a reference deployment starts and declares: local processes, the NATS broker, its
API keys, its declarations and rows file, and the fault hooks' command line."""
