using System.Security.Cryptography;
using static TorchSharp.torch;

namespace Prior.MLNet.Modeling;

/// <summary>
/// Runs a block's torch random draws (dropout, Gumbel noise) on a stream of their own and then puts torch's default
/// generator back exactly where it was, so that the draws of everything outside the block are the ones a run without
/// the block makes. Decoupled stages 2–3 use it: the towers' dropout then draws the same numbers as in a stage-1-only
/// run, and the sentence bank's and the decoders' noise does not shift them.
/// </summary>
/// <remarks>
/// The side stream is seeded from a hash of the default generator's state, which is read without advancing it: the
/// block's noise is a deterministic function of the run's seed and position (a resumed run, whose checkpoint restores
/// that state, draws it again) and needs no state of its own. Only the CPU generator's state is saved and restored
/// (TorchSharp 0.107 exposes no other), and seeding also reseeds CUDA's generators; so it is for CPU training only
/// (<see cref="PriorModel"/> does not enter it on CUDA, where the towers' dropout draws are then not separated).
/// </remarks>
internal sealed class SideRandomStream : IDisposable
{
    private readonly Tensor _saved;

    private SideRandomStream(Tensor saved) => _saved = saved;

    /// <summary>Switches torch's default generator to the side stream until the result is disposed.</summary>
    public static SideRandomStream Enter()
    {
        var saved = random.get_rng_state();
        var digest = SHA256.HashData(saved.bytes);
        random.manual_seed(BitConverter.ToInt64(digest, 0) & long.MaxValue);
        return new SideRandomStream(saved);
    }

    /// <summary>Restores the default generator's state from before <see cref="Enter"/>.</summary>
    public void Dispose()
    {
        random.set_rng_state(_saved);
        _saved.Dispose();
    }
}
