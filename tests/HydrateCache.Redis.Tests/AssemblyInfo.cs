// Every test here shares one Redis server, and the restart test stops it: run the tests one at a time.
// (xunit.v3 4.x: CollectionBehavior.DisableTestParallelization is obsolete-as-error; this is its replacement.)
[assembly: Xunit.v3.Parallelization(Mode = Xunit.Sdk.ParallelMode.None)]
