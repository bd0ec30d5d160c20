// The server-restart conformance test disturbs every other test using the NATS server: run the assembly serially.
// (xunit.v3 4.x: CollectionBehavior.DisableTestParallelization is obsolete-as-error; this is its replacement.)
[assembly: Xunit.v3.Parallelization(Mode = Xunit.Sdk.ParallelMode.None)]
