// A server restart (ServerRestart_SubscriptionResumesAndDisconnectIsReported) disturbs every test that uses the server:
// run the whole assembly one test at a time.
// (xunit.v3 4.x: CollectionBehavior.DisableTestParallelization is obsolete-as-error; this is its replacement.)
[assembly: Xunit.v3.Parallelization(Mode = Xunit.Sdk.ParallelMode.None)]
