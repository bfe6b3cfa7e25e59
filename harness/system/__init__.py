"""The system under test as its own data describes it: the rows it accepts (`rows`), the
schema of one instance and where it came from (`instances`, `sources`), the protocol its
predict endpoint speaks (`protocols`), and the canaries planted in its personal-data
columns (`canaries`). Everything the harness and the assessment send is built from these;
nothing here knows any particular data set or server."""
