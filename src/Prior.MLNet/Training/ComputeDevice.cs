using static TorchSharp.torch;

namespace Prior.MLNet.Training;

/// <summary>Where the network runs.</summary>
public enum ComputeDevice
{
    /// <summary>CUDA when TorchSharp finds a GPU, else the CPU.</summary>
    Auto,

    /// <summary>The CPU.</summary>
    Cpu,

    /// <summary>The first CUDA GPU; fails clearly when there is none.</summary>
    Cuda,
}

/// <summary>Resolves a <see cref="ComputeDevice"/> to a TorchSharp device.</summary>
internal static class ComputeDevices
{
    /// <summary>The TorchSharp device for <paramref name="device"/>.</summary>
    public static Device Resolve(ComputeDevice device)
    {
        LibTorchWarnings.Quiet(); // every network is placed through here before its first convolution
        return device switch
        {
            ComputeDevice.Cpu => CPU,
            ComputeDevice.Cuda when cuda.is_available() => CUDA,
            ComputeDevice.Cuda => throw new InvalidOperationException(
                "Device 'cuda' was asked for, but TorchSharp sees no CUDA GPU. Build with the CUDA backend (build.cmd -cuda or "
                    + "-p:TorchBackend=cuda) on a machine with an NVIDIA driver, or use 'auto' or 'cpu'."
            ),
            _ => cuda.is_available() ? CUDA : CPU,
        };
    }
}
