// A server restart (ServerRestart_* in the conformance suite) disturbs every test that uses the same Kafka cluster, so
// the assembly runs one test at a time. (xunit.v3 4.x: CollectionBehavior.DisableTestParallelization is obsolete-as-error;
// this is its replacement.)
[assembly: Xunit.v3.Parallelization(Mode = Xunit.Sdk.ParallelMode.None)]
