namespace KvStore.Kvbench.Generators;

/// <summary>How reads and updates pick among the records.</summary>
internal enum Distribution
{
    /// <summary>YCSB's scrambled Zipfian with constant 0.99: a few keys are hot, as in most real traffic.</summary>
    Zipfian,

    /// <summary>Every record equally likely: the least cache-friendly case.</summary>
    Uniform,
}
