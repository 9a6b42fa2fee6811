using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Prior.MLNet.Training;

/// <summary>
/// TorchSharp's AdamW (decoupled weight decay, bias-corrected moments, ε outside the square root) with the same
/// arithmetic, parameter groups, state and state files, but a step that frees each parameter's temporary as soon as
/// that parameter is updated. It is called AdamW, like the class it derives from, because TorchSharp's state files
/// record the optimiser's class name and refuse another: so checkpoints written by either resume under the other.
/// TorchSharp 0.107's step keeps every parameter's two temporaries (the second moment's square root and its
/// bias-corrected copy) alive until the whole step ends, so each step allocates and touches twice
/// the model's size afresh: at the paper preset (256.6 M parameters) 2 GB of new memory per step, most of an AdamW
/// step's time and a third of stage 1's peak memory. Here each parameter needs one temporary of its own size, reused
/// by the allocator for the next. AMSGrad and maximize are not supported (PRIOR uses neither).
/// </summary>
internal sealed class AdamW : TorchSharp.Modules.AdamW
{
    /// <summary>Creates the optimiser over <paramref name="parameters"/>; arguments as TorchSharp's <c>optim.AdamW</c>.</summary>
    public AdamW(
        IEnumerable<Parameter> parameters,
        double lr = 1e-3,
        double beta1 = 0.9,
        double beta2 = 0.999,
        double eps = 1e-8,
        double weight_decay = 0
    )
        : base(parameters, lr, beta1, beta2, eps, weight_decay) { }

    /// <summary>
    /// Creates the optimiser over parameter groups (each group's learning rate is set per step by the trainer); other
    /// arguments as TorchSharp's <c>optim.AdamW</c>.
    /// </summary>
    public AdamW(IEnumerable<ParamGroup> groups, double lr, double weight_decay)
        : base(groups, lr, weight_decay: weight_decay) { }

    /// <summary>How many updates <paramref name="parameter"/> has had (0 before its first gradient).</summary>
    internal long StepsOf(Parameter parameter) => _state.TryGetValue(parameter.Handle, out var state) ? ((State)state).step : 0;

    /// <inheritdoc />
    public override Tensor step(Func<Tensor>? closure = null)
    {
        Tensor? loss = null;
        if (closure is not null)
        {
            using (enable_grad())
                loss = closure();
        }
        using (no_grad())
        {
            foreach (var group in _parameter_groups)
            {
                var options = (Options)group.Options;
                if (options.amsgrad == true || options.maximize == true)
                    throw new NotSupportedException("This AdamW supports neither AMSGrad nor maximize; use TorchSharp's optim.AdamW.");
                double beta1 = options.beta1!.Value,
                    beta2 = options.beta2!.Value,
                    eps = options.eps!.Value;
                double lr = options.LearningRate!.Value,
                    decay = options.weight_decay!.Value;
                foreach (var parameter in group.Parameters)
                {
                    using var scope = NewDisposeScope();
                    var grad = parameter.grad;
                    if (grad is null)
                        continue;
                    var state = (State)_state[parameter.Handle];
                    state.step += 1;
                    parameter.mul_(1 - lr * decay);
                    double correction1 = 1 - Math.Pow(beta1, state.step),
                        correction2 = 1 - Math.Pow(beta2, state.step);
                    state.exp_avg.mul_(beta1).add_(grad, alpha: 1 - beta1);
                    state.exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value: 1 - beta2);
                    // TorchSharp: (v.sqrt() / √c2).add_(ε) — the same division, in place on the one temporary.
                    var denominator = state.exp_avg_sq.sqrt().div_(Math.Sqrt(correction2)).add_(eps);
                    parameter.addcdiv_(state.exp_avg, denominator, value: -lr / correction1);
                }
            }
        }
        return loss!;
    }
}
