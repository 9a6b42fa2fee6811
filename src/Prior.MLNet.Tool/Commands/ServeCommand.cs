using System.CommandLine;
using Prior.MLNet.Tool.Serve;
using Prior.MLNet.Transforms;

namespace Prior.MLNet.Tool.Commands;

/// <summary>
/// <c>prior serve</c>: a model behind HTTP — image and report embeddings, zero-shot classification and drafts, with
/// dynamic batching, problem bodies, 503s under overload, health, readiness and Prometheus metrics (docs/serving.md).
/// </summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model")
        {
            Description = "A model file (from pretrain or import) or an ML.NET zip with PRIOR transformers.",
            Required = true,
        };
        var defaults = new ServeOptions();
        var host = new Option<string>("--host")
        {
            Description = "Address to listen on (127.0.0.1: this machine only; 0.0.0.0: every interface).",
            DefaultValueFactory = _ => defaults.Host,
        };
        var port = new Option<int>("--port")
        {
            Description = "Port to listen on (0: any free one).",
            DefaultValueFactory = _ => defaults.Port,
        };
        var maxBatch = new Option<int>("--max-batch")
        {
            Description = "Most requests run through the network at once.",
            DefaultValueFactory = _ => defaults.MaxBatch,
        };
        var maxQueue = new Option<int>("--max-queue")
        {
            Description = "Most requests waiting per endpoint before new ones get 503.",
            DefaultValueFactory = _ => defaults.MaxQueue,
        };
        var maxUpload = new Option<int>("--max-upload-mb")
        {
            Description = "Largest upload, in MiB.",
            DefaultValueFactory = _ => (int)(defaults.MaxUploadBytes >> 20),
        };
        var maxInflight = new Option<int>("--max-inflight-upload-mb")
        {
            Description = "Most MiB of image uploads held at once (read, not yet decoded); an upload beyond it gets 503.",
            DefaultValueFactory = _ => (int)(defaults.MaxInflightUploadBytes >> 20),
        };
        var maxPixels = new Option<long>("--max-pixels")
        {
            Description = "Largest image decoded, in pixels as its header declares them (413 above it, before decoding).",
            DefaultValueFactory = _ => defaults.MaxPixels,
        };
        var decodeWorkers = new Option<int>("--decode-workers")
        {
            Description = "Most uploads decoded at once (with --max-pixels, bounds decoding's memory).",
            DefaultValueFactory = _ => defaults.DecodeWorkers,
        };
        var frame = InputList.FrameOption();
        var command = new Command(
            "serve",
            "Serve a model over HTTP: embeddings, zero-shot classification, drafts, health and metrics (example: prior serve --model "
                + "prior.zip --port 5080)."
        )
        {
            model,
            host,
            port,
            maxBatch,
            maxQueue,
            maxUpload,
            maxInflight,
            maxPixels,
            decodeWorkers,
            frame,
        };
        command.SetAction(parse => CommandRunner.Run("serve", () =>
            {
                var options = new ServeOptions
                {
                    Host = parse.GetValue(host)!,
                    Port = parse.GetValue(port),
                    MaxBatch = parse.GetValue(maxBatch),
                    MaxQueue = parse.GetValue(maxQueue),
                    MaxUploadBytes = (long)parse.GetValue(maxUpload) << 20,
                    MaxInflightUploadBytes = (long)parse.GetValue(maxInflight) << 20,
                    MaxPixels = parse.GetValue(maxPixels),
                    DecodeWorkers = parse.GetValue(decodeWorkers),
                    Frame = parse.GetValue(frame),
                };
                options.Validate();
                if (!System.Net.IPAddress.TryParse(options.Host, out _))
                    throw new ArgumentException($"--host must be an IP address (127.0.0.1, 0.0.0.0, ::1); not '{options.Host}'.");
                MallocArenas.Limit(); // before the network and the decoders allocate: see MallocArenas
                MallocArenas.TrimEvery(TimeSpan.FromSeconds(5));
                using var network = PriorNetwork.Load(parse.GetValue(model)!);
                var server = PriorServer.StartAsync(network, options).GetAwaiter().GetResult();
                Console.WriteLine($"serving {parse.GetValue(model)} at {server.Address} (Ctrl+C stops; GET /healthz, /readyz, /metrics)");
                server.WaitForShutdownAsync().GetAwaiter().GetResult();
                server.DisposeAsync().AsTask().GetAwaiter().GetResult();
                Console.WriteLine("stopped");
                return 0;
            }));
        return command;
    }
}
