using System.Runtime.ExceptionServices;

namespace Prior.MLNet.Transforms;

/// <summary>Runs a per-item function on the thread pool and rethrows the first failure as itself, not as an AggregateException.</summary>
internal static class ParallelMap
{
    public static TOut[] Run<TIn, TOut>(IReadOnlyList<TIn> items, Func<TIn, TOut> map)
    {
        var results = new TOut[items.Count];
        try
        {
            Parallel.For(0, items.Count, i => results[i] = map(items[i]));
        }
        catch (AggregateException ex) when (ex.InnerExceptions.Count > 0)
        {
            ExceptionDispatchInfo.Capture(ex.InnerExceptions[0]).Throw();
        }
        return results;
    }
}
