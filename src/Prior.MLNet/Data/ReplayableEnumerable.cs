using System.Collections;

namespace Prior.MLNet.Data;

/// <summary>
/// An enumerable that starts a fresh enumeration from its factory each time, so that every ML.NET cursor
/// re-reads the files from the start instead of sharing one half-consumed stream.
/// </summary>
internal sealed class ReplayableEnumerable<T>(Func<IEnumerable<T>> factory) : IEnumerable<T>
{
    public IEnumerator<T> GetEnumerator() => factory().GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
