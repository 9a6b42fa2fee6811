namespace Prior.MLNet.Tool.Serve;

/// <summary>How <c>prior serve</c> listens and batches (the command's options, with its defaults).</summary>
internal sealed record ServeOptions
{
    /// <summary>The address listened on. Default 127.0.0.1 (this machine only; give 0.0.0.0 to serve a network).</summary>
    public string Host { get; init; } = "127.0.0.1";

    /// <summary>The port; 0 takes a free one. Default 5080.</summary>
    public int Port { get; init; } = 5080;

    /// <summary>Most inputs run through the network at once. Default 32.</summary>
    public int MaxBatch { get; init; } = 32;

    /// <summary>Most inputs waiting per kind of request before new ones get 503. Default 256.</summary>
    public int MaxQueue { get; init; } = 256;

    /// <summary>Largest request body, in bytes. Default 64 MiB.</summary>
    public long MaxUploadBytes { get; init; } = 64L << 20;

    /// <summary>How long a batch waits for more inputs after its first. Default 3 ms.</summary>
    public TimeSpan BatchWindow { get; init; } = TimeSpan.FromMilliseconds(3);

    /// <summary>For tests: runs on the batch worker before each batch (to hold batches back and fill a queue).</summary>
    internal Action? BeforeEachBatch { get; init; }

    /// <summary>For tests: runs at the start of the server's warm-up (to hold it and see /readyz refuse meanwhile).</summary>
    internal Action? DuringWarmUp { get; init; }

    /// <summary>Checks the values, naming the option that is wrong.</summary>
    public void Validate()
    {
        if (Port is < 0 or > 65535)
            throw new ArgumentException($"--port must be from 0 to 65535; not {Port}.");
        if (MaxBatch < 1)
            throw new ArgumentException($"--max-batch must be at least 1; not {MaxBatch}.");
        if (MaxQueue < 1)
            throw new ArgumentException($"--max-queue must be at least 1; not {MaxQueue}.");
        if (MaxUploadBytes < 1)
            throw new ArgumentException($"--max-upload-mb must be positive; not {MaxUploadBytes / (1 << 20)}.");
    }
}
