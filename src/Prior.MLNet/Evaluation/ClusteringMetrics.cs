namespace Prior.MLNet.Evaluation;

/// <summary>
/// How well a clustering (e.g. sentences by prototype) matches known classes: purity (the share of items whose
/// cluster's most common class is their own) and normalised mutual information, I(C; K) / ((H(C) + H(K)) / 2), the
/// arithmetic normalisation scikit-learn uses by default; 1 for identical partitions up to relabelling, about 0 for
/// independent ones.
/// </summary>
internal static class ClusteringMetrics
{
    /// <summary>Purity of <paramref name="clusters"/> against <paramref name="classes"/> (same length).</summary>
    public static double Purity<TCluster, TClass>(IReadOnlyList<TCluster> clusters, IReadOnlyList<TClass> classes)
        where TCluster : notnull
        where TClass : notnull
    {
        Check(clusters, classes);
        if (clusters.Count == 0)
            return 0;
        int majority = clusters.Zip(classes).GroupBy(p => p.First).Sum(g => g.GroupBy(p => p.Second).Max(c => c.Count()));
        return majority / (double)clusters.Count;
    }

    /// <summary>Normalised mutual information (arithmetic mean of the entropies); 1 when both partitions have one part.</summary>
    public static double NormalizedMutualInformation<TCluster, TClass>(IReadOnlyList<TCluster> clusters, IReadOnlyList<TClass> classes)
        where TCluster : notnull
        where TClass : notnull
    {
        Check(clusters, classes);
        int n = clusters.Count;
        if (n == 0)
            return 0;
        var joint = clusters.Zip(classes).GroupBy(p => p).ToDictionary(g => g.Key, g => g.Count());
        var clusterCounts = clusters.GroupBy(c => c).ToDictionary(g => g.Key, g => g.Count());
        var classCounts = classes.GroupBy(c => c).ToDictionary(g => g.Key, g => g.Count());
        double hClusters = Entropy(clusterCounts.Values, n),
            hClasses = Entropy(classCounts.Values, n);
        if (hClusters == 0 && hClasses == 0)
            return 1;
        double mi = 0;
        foreach (var ((cluster, label), count) in joint)
        {
            double pxy = count / (double)n;
            mi += pxy * Math.Log(pxy / (clusterCounts[cluster] / (double)n * (classCounts[label] / (double)n)));
        }
        double denominator = (hClusters + hClasses) / 2;
        return denominator == 0 ? 0 : Math.Max(0, mi) / denominator;
    }

    private static double Entropy(IEnumerable<int> counts, int n) => -counts.Sum(c => c / (double)n * Math.Log(c / (double)n));

    private static void Check<TA, TB>(IReadOnlyList<TA> a, IReadOnlyList<TB> b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (a.Count != b.Count)
            throw new ArgumentException($"{a.Count} cluster assignments but {b.Count} classes.");
    }
}
