using System.Diagnostics;
using Prior.MLNet.Modeling;
using Prior.MLNet.Tool.Commands;
using Prior.MLNet.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Prior.MLNet.Benchmarks;

/// <summary>
/// The compute part of <c>prior bench</c>: the floating-point rate the image encoder (each preset's ResNet) achieves in a
/// training step's forward and backward pass, against the rate libtorch's own matrix multiply reaches on the same
/// threads — the share of the machine's usable arithmetic the convolutions get (PyTorch reaches about 0.30 for
/// ResNet-50 on this machine class, as issue 10 quotes).
/// </summary>
internal static class ComputeBenchmark
{
    public static void Run(string presets, int paperBatch, Device target, Dictionary<string, object> figures)
    {
        double matmul = MatmulRate(target);
        Console.WriteLine(
            $"Compute efficiency, {target.type}, {get_num_threads()} torch threads: libtorch's float32 matrix multiply (2048 × 2048, "
                + $"best of 5) "
                + $"{matmul / 1e9:0.0} GFLOP/s; the image encoder's forward + backward (the ResNet, BatchNorm in training mode, best of "
                + $"3 after a warm-up):"
        );
        Console.WriteLine($"{"preset", -8} {"batch", 5} {"px", 4} {"GFLOP/step", 11} {"seconds", 8} {"GFLOP/s", 8} {"vs matmul", 10}");
        figures["matmulGflops"] = matmul / 1e9;
        foreach (var name in presets.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var options = PriorModelOptions.FromPreset(name);
            int batch = name == "paper" ? paperBatch : 32;
            var (flops, seconds) = EncoderStep(options, batch, target);
            double ratio = flops / seconds / matmul;
            Console.WriteLine(
                $"{name, -8} {batch, 5} {options.ImageSize, 4} {flops / 1e9, 11:0.0} {seconds, 8:0.000} {flops / seconds / 1e9, 8:0.0} "
                    + $"{ratio, 10:0.00}"
            );
            figures[name == "paper" ? "encoderVsMatmul" : $"encoderVsMatmul{char.ToUpperInvariant(name[0])}{name[1..]}"] = ratio;
        }
    }

    internal static double MatmulRate(Device target)
    {
        const int n = 2048;
        using var scope = NewDisposeScope();
        var a = randn(n, n, device: target);
        var b = randn(n, n, device: target);
        double best = double.MaxValue;
        for (int i = 0; i < 7; i++)
        {
            var clock = Stopwatch.StartNew();
            using (var c = a.mm(b))
            {
                if (target.type == DeviceType.CUDA)
                    cuda.synchronize();
                if (i >= 2)
                    best = Math.Min(best, clock.Elapsed.TotalSeconds);
            }
        }
        return 2.0 * n * n * n / best;
    }

    // Floating-point operations of a training step of the ResNet: the forward's 2 per multiply-add, the backward's
    // weight gradients as much again, its input gradients as much again except the stem's (the image needs none).
    private static (double Flops, double Seconds) EncoderStep(PriorModelOptions options, int batch, Device target)
    {
        random.manual_seed(1);
        using var encoder = new ResNetEncoder(options.ResNetBlock, options.ResNetLayers, options.ResNetWidth);
        encoder.to(target).train();
        long forward = encoder.MultiplyAdds(options.ImageSize, options.ImageSize);
        var stem = encoder.conv1.weight!.shape;
        long stemOutput = (options.ImageSize + 1) / 2;
        long stemMultiplyAdds = stem[0] * stem[1] * stem[2] * stem[3] * stemOutput * stemOutput;
        double flops = 2.0 * batch * (3 * forward - stemMultiplyAdds);
        double best = double.MaxValue;
        for (int i = 0; i < 4; i++)
        {
            using var guard = TorchGcGuard.Enter();
            using var scope = NewDisposeScope();
            var images = randn(batch, 1, options.ImageSize, options.ImageSize, device: target);
            var clock = Stopwatch.StartNew();
            encoder.zero_grad();
            encoder.call(images).sum().backward();
            if (target.type == DeviceType.CUDA)
                cuda.synchronize();
            if (i >= 1)
                best = Math.Min(best, clock.Elapsed.TotalSeconds);
        }
        return (flops, best);
    }
}
