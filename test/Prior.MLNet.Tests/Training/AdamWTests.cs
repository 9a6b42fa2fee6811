using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using LeanAdamW = Prior.MLNet.Training.AdamW;

namespace Prior.MLNet.Tests.Training;

/// <summary>
/// The trainer's <see cref="LeanAdamW">AdamW</see>: TorchSharp's AdamW to the bit, against Adam's formulas recomputed in float64 by hand,
/// and
/// with state files either optimiser reads (checkpoints written before it resume under it).
/// </summary>
[TestClass]
[TestCategory(TestCategories.Unit)]
public sealed class AdamWTests
{
    private static Sequential Network()
    {
        manual_seed(11);
        return nn.Sequential(("conv", nn.Conv2d(3, 8, 3)), ("flat", nn.Flatten()), ("linear", nn.Linear(8 * 6 * 6, 5)));
    }

    private static bool Same(Tensor a, Tensor b) => a.ne(b).sum().item<long>() == 0;

    // Gradients of a fixed sequence, the same for both optimisers.
    private static void SetGradients(IReadOnlyList<Parameter> parameters, int step)
    {
        manual_seed(100 + step);
        foreach (var p in parameters)
            p.grad = randn_like(p);
    }

    [TestMethod]
    [DoNotParallelize] // seeds torch's global generator
    public void ItsStepsEqualTorchSharpsAdamWBitForBitWithWeightDecayAndAChangingLearningRate()
    {
        using var scope = NewDisposeScope();
        using var stockNet = Network();
        using var leanNet = Network();
        var stock = stockNet.parameters().ToList();
        var lean = leanNet.parameters().ToList();
        using var stockOptimizer = optim.AdamW(stock, 1e-2, weight_decay: 0.05);
        using var leanOptimizer = new LeanAdamW(lean, 1e-2, weight_decay: 0.05);
        for (int step = 0; step < 5; step++)
        {
            foreach (var (o, lr) in new[] { (stockOptimizer as OptimizerHelper, 1e-2 / (step + 1)), (leanOptimizer, 1e-2 / (step + 1)) })
            foreach (var group in o.ParamGroups)
                group.LearningRate = lr;
            SetGradients(stock, step);
            SetGradients(lean, step);
            stockOptimizer.step();
            leanOptimizer.step();
        }
        using var initialNet = Network();
        var initial = initialNet.parameters().ToList();
        for (int i = 0; i < stock.Count; i++)
        {
            Assert.IsTrue(Same(stock[i], lean[i]), $"parameter {i} differs");
            Assert.IsFalse(Same(stock[i], initial[i]), $"parameter {i} did not move");
        }
    }

    [TestMethod]
    public void OneParameterFollowsAdamsFormulasRecomputedInFloat64()
    {
        // θ ← θ(1 − ηλ); m ← β1 m + (1 − β1) g; v ← β2 v + (1 − β2) g²; θ ← θ − η/(1 − β1ᵗ) · m / (√v / √(1 − β2ᵗ) + ε).
        double theta = 0.5,
            m = 0,
            v = 0;
        const double lr = 0.1,
            decay = 0.01,
            beta1 = 0.9,
            beta2 = 0.999,
            eps = 1e-8;
        double[] gradients = [0.3, -1.2, 0.05, 2.0];
        using var parameter = new Parameter(tensor(new[] { 0.5 }, dtype: ScalarType.Float64));
        using var optimizer = new LeanAdamW([parameter], lr, beta1, beta2, eps, decay);
        for (int t = 1; t <= gradients.Length; t++)
        {
            double g = gradients[t - 1];
            theta *= 1 - lr * decay;
            m = beta1 * m + (1 - beta1) * g;
            v = beta2 * v + (1 - beta2) * g * g;
            theta -= lr / (1 - Math.Pow(beta1, t)) * m / (Math.Sqrt(v) / Math.Sqrt(1 - Math.Pow(beta2, t)) + eps);
            parameter.grad = tensor(new[] { g }, dtype: ScalarType.Float64);
            optimizer.step();
            Assert.AreEqual(theta, parameter.item<double>(), 1e-14, $"step {t}");
        }
    }

    [TestMethod]
    [DoNotParallelize] // seeds torch's global generator
    public void ItResumesFromTorchSharpsAdamWStateFileAndContinuesIdentically()
    {
        using var scope = NewDisposeScope();
        var file = Path.Combine(SyntheticFixture.NewTempFolder(), "optimizer.bin");
        using var stockNet = Network();
        var stock = stockNet.parameters().ToList();
        using var stockOptimizer = optim.AdamW(stock, 1e-2, weight_decay: 0.05);
        for (int step = 0; step < 2; step++)
        {
            SetGradients(stock, step);
            stockOptimizer.step();
        }
        stockOptimizer.save_state_dict(file);

        using var resumedNet = Network();
        resumedNet.load_state_dict(stockNet.state_dict());
        var resumed = resumedNet.parameters().ToList();
        using var leanOptimizer = new LeanAdamW(resumed, 1e-2, weight_decay: 0.05);
        leanOptimizer.load_state_dict(file);
        for (int step = 2; step < 4; step++)
        {
            SetGradients(stock, step);
            SetGradients(resumed, step);
            stockOptimizer.step();
            leanOptimizer.step();
        }
        for (int i = 0; i < stock.Count; i++)
            Assert.IsTrue(Same(stock[i], resumed[i]), $"parameter {i} differs after resuming");
    }
}
