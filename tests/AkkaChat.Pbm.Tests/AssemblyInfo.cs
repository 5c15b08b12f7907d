// Process clusters are heavy on a 2-core machine: one test class at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
