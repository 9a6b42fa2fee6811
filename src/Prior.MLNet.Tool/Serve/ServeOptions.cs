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

    /// <summary>
    /// Most bytes of image uploads held at once, read or being read and not yet decoded; an upload that does not fit gets
    /// 503 with Retry-After. Each reserves its declared length, or <see cref="MaxUploadBytes"/> when it declares none.
    /// Default 256 MiB (four of the largest uploads, several hundred radiographs).
    /// </summary>
    public long MaxInflightUploadBytes { get; init; } = 256L << 20;

    /// <summary>
    /// The largest image decoded, in pixels as its header declares them; a larger upload gets 413 before any pixel is
    /// allocated. Default 50,000,000: more than any radiograph detector (a 43 cm plate at 100 µm is 4,300 × 4,300,
    /// 18.5 M; MIMIC-CXR's largest are 7.8 M), an eighth of the library's own 400 M.
    /// </summary>
    public long MaxPixels { get; init; } = 50_000_000;

    /// <summary>
    /// Most uploads decoded at once; the others wait their turn. Default: the machine's processor count. With the pixel
    /// budget it bounds the memory decoding can take, whatever the number of requests (docs/serving.md).
    /// </summary>
    public int DecodeWorkers { get; init; } = Environment.ProcessorCount;

    /// <summary>Which frame of a multi-frame DICOM upload to read, from 1; 0 refuses multi-frame files. Default 1.</summary>
    public int Frame { get; init; } = 1;

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
        if (MaxPixels < 1)
            throw new ArgumentException($"--max-pixels must be positive; not {MaxPixels}.");
        if (DecodeWorkers < 1)
            throw new ArgumentException($"--decode-workers must be at least 1; not {DecodeWorkers}.");
        if (Frame < 0)
            throw new ArgumentException($"--frame counts from 1 (0 refuses multi-frame files); not {Frame}.");
        if (MaxUploadBytes < 1)
            throw new ArgumentException($"--max-upload-mb must be positive; not {MaxUploadBytes / (1 << 20)}.");
        if (MaxInflightUploadBytes < MaxUploadBytes)
            throw new ArgumentException(
                $"--max-inflight-upload-mb ({MaxInflightUploadBytes >> 20}) must be at least --max-upload-mb ({MaxUploadBytes >> 20}): "
                    + "else the largest upload could never be read."
            );
    }
}
