using Prior.MLNet.Modeling.Bert;
using Prior.MLNet.Modeling.Losses;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

#pragma warning disable IDE1006 // Field names are the official checkpoint's keys (method.md §5).

namespace Prior.MLNet.Modeling;

/// <summary>
/// The whole PRIOR network (Cheng et al., ICCV 2023), under the official checkpoint's parameter names: image and
/// text towers, projections, report pooling, predictor, local cross-attention, learnable logit scales, the sentence
/// prototype bank, and the image and prototype decoders used in stage 3.
/// </summary>
internal sealed class PriorModel : nn.Module<PriorBatch, PriorStage, PriorLosses>
{
    /// <summary>ResNet + attention pooling.</summary>
    public readonly ImageEncoder image_encoder;

    /// <summary>BERT.</summary>
    public readonly TextEncoder text_encoder;

    /// <summary>Pooled image feature → global embedding.</summary>
    public readonly Linear global_image_projection;

    /// <summary>Patch features → local embeddings.</summary>
    public readonly Linear local_image_projection;

    /// <summary>Token states → local text embeddings.</summary>
    public readonly Linear local_text_projection;

    /// <summary>Present in the original and its checkpoints, never used.</summary>
    public readonly Linear global_text_projection;

    /// <summary>Sentence attention pooling → report embedding.</summary>
    public readonly SentenceAttentionPool global_text_attention;

    /// <summary>SimSiam predictor.</summary>
    public readonly Sequential predictor;

    /// <summary>Local cross-attention.</summary>
    public readonly LocalCrossAttention local_cross_attention;

    /// <summary>Global log-temperature, starts at ln(1/0.01).</summary>
    public readonly Parameter logit_scale;

    /// <summary>Local log-temperature, starts at ln(1/0.01).</summary>
    public readonly Parameter local_logit_scale;

    /// <summary>
    /// The parameters only stages 2–3 train (the prototype decoder's queries, the bank and both reconstruction
    /// decoders): with decoupled stages they learn on their own schedule beside the towers'.
    /// </summary>
    public IEnumerable<Parameter> PrototypeHeadParameters() =>
        new[] { prototype_queries }
            .Concat(sentence_bank.parameters())
            .Concat(image_decoder.parameters())
            .Concat(sentence_decoder.parameters());

    /// <summary>The prototype decoder's learned queries [1, S, D].</summary>
    public readonly Parameter prototype_queries;

    /// <summary>The sentence prototype bank.</summary>
    public readonly SentencePrototypeBank sentence_bank;

    /// <summary>Image reconstruction decoder.</summary>
    public readonly ImageDecoder image_decoder;

    /// <summary>Prototype (report) reconstruction decoder.</summary>
    public readonly BertModel sentence_decoder;

    /// <summary>The sizes this model was built with (vocabulary size filled in).</summary>
    public PriorModelOptions Options { get; }

    /// <summary>Builds the network for <paramref name="options"/> and a vocabulary of <paramref name="vocabularySize"/> tokens.</summary>
    public PriorModel(PriorModelOptions options, int vocabularySize)
        : base(nameof(PriorModel))
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(vocabularySize, 1);
        Training.LibTorchWarnings.Quiet(); // before any convolution this model runs (NNPACK's warning)
        Options = options with { Text = options.Text with { VocabSize = vocabularySize } };
        Options.Validate();
        int e = Options.EmbeddingDim,
            h = Options.Text.HiddenSize;
        image_encoder = new ImageEncoder(Options);
        int c = image_encoder.encoder.OutputChannels;
        text_encoder = new TextEncoder(Options.Text);
        global_image_projection = nn.Linear(c, e);
        local_image_projection = nn.Linear(c, e);
        local_text_projection = nn.Linear(h, e);
        global_text_projection = nn.Linear(h, e);
        global_text_attention = new SentenceAttentionPool(e, Options.PoolingHeads);
        predictor = Predictor.Create(e);
        local_cross_attention = new LocalCrossAttention(e);
        logit_scale = nn.Parameter(tensor(Math.Log(1 / 0.01), ScalarType.Float32));
        local_logit_scale = nn.Parameter(tensor(Math.Log(1 / 0.01), ScalarType.Float32));
        prototype_queries = nn.Parameter(randn(1, Options.GeneratedSentences, e) * 0.02);
        sentence_bank = new SentencePrototypeBank(
            e,
            Options.Prototypes,
            Options.PrototypeTemperature,
            Options.PrototypeLogits,
            Options.PrototypeLogitScale
        );
        image_decoder = new ImageDecoder(2 * e, 5);
        sentence_decoder = new BertModel(Options.SentenceDecoder);
        RegisterComponents();
    }

    /// <summary>Global [B, E] and local [B, I, E] image embeddings (not normalised) of images [B, 1, S, S].</summary>
    public (Tensor Global, Tensor Local) EncodeImage(Tensor images)
    {
        var map = image_encoder.call(images);
        var global = global_image_projection.call(image_encoder.atten_pool.call(map));
        var local = local_image_projection.call(LocalFeatures.ToTokens(map, Options.LocalFeatureLayout));
        return (global, local);
    }

    /// <summary>
    /// Sentence vectors [B, T, E] with their mask, from token ids, attention mask and sentence indices [B, L].
    /// </summary>
    public (Tensor Sentences, Tensor Mask) EncodeSentences(Tensor inputIds, Tensor attentionMask, Tensor sentenceIndex)
    {
        var tokens = local_text_projection.call(text_encoder.call(inputIds, attentionMask));
        return SentenceGather.Gather(tokens, sentenceIndex);
    }

    /// <summary>The report embedding [B, E] of sentence vectors (raw or prototypes) with their mask.</summary>
    public Tensor PoolReport(Tensor sentences, Tensor mask) => global_text_attention.call(sentences, mask);

    /// <summary>
    /// The report embedding [B, E] of tokenised reports for inference: sentence vectors, then (after stage 2 training)
    /// their noise-free prototypes, then attention pooling. Call in eval mode.
    /// </summary>
    public Tensor EmbedReports(Tensor inputIds, Tensor attentionMask, Tensor sentenceIndex, bool usePrototypes)
    {
        var (sentences, mask) = EncodeSentences(inputIds, attentionMask, sentenceIndex);
        var text = usePrototypes ? sentence_bank.Assign(sentences, null).Prototypes : sentences;
        return PoolReport(text, mask);
    }

    /// <summary>Computes every loss term of <paramref name="stage"/> for a batch, and their weighted total.</summary>
    public override PriorLosses forward(PriorBatch batch, PriorStage stage)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var terms = new Dictionary<string, Tensor>();
        var (imageGlobal, imageLocal) = EncodeImage(batch.Images);
        var (sentences, mask) = EncodeSentences(batch.InputIds, batch.AttentionMask, batch.SentenceIndex);
        // Decoupled stages 2-3 imply every switch that keeps the bank's terms off what stage 1 trains.
        bool decoupled = Options.DecoupledPrototypeStages;
        // ... and stage 1's terms see what they see in stage 1: every sentence, and the towers' dropout draws of a
        // stage-1-only run (the bank's and the decoders' noise below is drawn on a side stream; the towers' draws
        // all happen above, in the encoders).
        var (allSentences, allMask) = (sentences, mask);
        // CPU only: on CUDA the draws come from the device's generator, which the side stream cannot save and restore,
        // and reseeding it every step from an unchanging CPU state would repeat the towers' dropout masks.
        using var sideStream =
            decoupled && training && stage >= PriorStage.Prototypes && imageGlobal.device_type == DeviceType.CPU
                ? SideRandomStream.Enter()
                : null;
        if (stage == PriorStage.Reconstruction && sentences.shape[1] > Options.GeneratedSentences)
        {
            // Stage 3 works on at most S sentences per report (the prototype decoder's slots).
            sentences = sentences.narrow(1, 0, Options.GeneratedSentences);
            mask = mask.narrow(1, 0, Options.GeneratedSentences);
        }
        var (stageOneSentences, stageOneMask) = decoupled ? (allSentences, allMask) : (sentences, mask);

        bool shield = Options.ShieldTextTowerFromBank || decoupled;
        bool rawGlobal = Options.KeepRawGlobalAlignment || decoupled;
        bool rawLocal = Options.KeepRawLocalAlignment || decoupled;
        bool detachTargets = Options.DetachGenerationTargets || decoupled;
        double imageGradient = decoupled ? 0 : Options.PrototypePathImageGradient;
        // The prototype path's pooling and temperature: stage 1's modules, so held fixed for it when decoupled.
        Tensor PoolPrototypes(Tensor x, Tensor m) => decoupled ? global_text_attention.ForwardFrozen(x, m) : PoolReport(x, m);
        var prototypeScale = decoupled ? logit_scale.detach() : logit_scale;

        var textSentences = sentences;
        PrototypeAssignment? assignment = null;
        if (stage >= PriorStage.Prototypes)
        {
            var bankInput = shield ? sentences.detach() : sentences;
            assignment = sentence_bank.call(bankInput, mask);
            textSentences = assignment.Prototypes;
            terms["proto"] = SentencePrototypeBank.PrototypeLoss(assignment.Prototypes[mask], bankInput[mask]);
        }

        var report = assignment is null ? PoolReport(textSentences, mask) : PoolPrototypes(textSentences, mask);
        terms["global"] = assignment is null
            ? GlobalAlignmentLoss.Compute(imageGlobal, report, logit_scale)
            : GlobalAlignmentLoss.Compute(ScaleGradient(imageGlobal, imageGradient), report, prototypeScale);
        if (assignment is not null && rawGlobal)
        {
            // Decoupled: stage 1's own weight for stage 1's term (stage 3 weights it 10, which would tilt the towers
            // from the local terms), so the towers get exactly stage 1's gradient; the logged value is unchanged.
            var raw = GlobalAlignmentLoss.Compute(imageGlobal, PoolReport(stageOneSentences, stageOneMask), logit_scale);
            terms["globalRaw"] = decoupled
                ? ScaleGradient(raw, PriorLosses.Weight(PriorStage.Alignment, "global") / PriorLosses.Weight(stage, "globalRaw"))
                : raw;
        }
        var (localSentences, localMask) = rawLocal ? (stageOneSentences, stageOneMask) : (textSentences, mask);
        var cross = local_cross_attention.Attend(imageLocal, localSentences, localMask);
        terms["localImage"] = SimSiamLoss.Compute(imageLocal, cross.ContextImage, predictor);
        terms["localText"] = SentenceContrastiveLoss.Compute(localSentences, cross.ContextSentence, localMask, local_logit_scale);

        if (stage == PriorStage.Reconstruction)
        {
            // Decoupled: the decoders read the image features and the local context as fixed inputs.
            var features = decoupled ? imageLocal.detach() : imageLocal;
            var context = decoupled ? cross.ContextImage.detach() : cross.ContextImage;
            long side = Options.ImageSize / 32;
            var localMap = LocalFeatures.ToMap(features, Options.LocalFeatureLayout, side, side);
            var contextMap = LocalFeatures.ToMap(context, Options.LocalFeatureLayout, side, side);
            var masked = nn.functional.dropout2d(localMap, Options.ReconstructionDropout, training);
            var reconstruction = image_decoder.call(cat([masked, contextMap], 1));
            terms["reconstruction"] = nn.functional.l1_loss(reconstruction, batch.Images);

            long b = imageLocal.shape[0],
                slots = Options.GeneratedSentences;
            var predictions = sentence_decoder.Decode(prototype_queries.expand(b, -1, -1), features, Options.DecoderCausalMask);
            var targets = PadSlots(assignment!.Prototypes * mask.unsqueeze(-1), slots);
            var logits = PadSlots(assignment.Logits, slots);
            var slotMask = PadSlots(mask.unsqueeze(-1), slots).squeeze(-1).to_type(ScalarType.Bool);
            if (detachTargets)
            {
                targets = targets.detach();
                logits = logits.detach();
            }
            var generation = PrototypeGenerationLoss.Compute(
                predictions,
                targets,
                slotMask,
                logits,
                sentence_bank.Logits,
                Options.PrototypeMatching
            );
            terms["spg"] = generation.SpgLoss;
            terms["kl"] = generation.KlLoss;
            // L_gpa: the matched predictions of the real slots go through the bank a second time (their own Gumbel
            // draw in training; that call's prototype loss is not used), and their pooled prototypes must align
            // with the report embedding.
            var generated = sentence_bank.call(generation.Arranged, slotMask);
            terms["gpa"] = GlobalAlignmentLoss.Compute(
                PoolPrototypes(generated.Prototypes, slotMask),
                detachTargets ? report.detach() : report,
                prototypeScale
            );
        }
        return new PriorLosses(stage, terms)
        {
            Bank = assignment is null
                ? null
                : new BankObservation(assignment.Index[mask], sentences[mask].detach())
                {
                    NoiseFreeIndex = assignment.Logits.argmax(-1)[mask],
                },
        };
    }

    // The same values, with the gradient flowing back through them multiplied by `factor`.
    private static Tensor ScaleGradient(Tensor x, double factor)
    {
        if (factor == 1)
            return x;
        var fixedPart = x.detach();
        return fixedPart + (x - fixedPart) * factor;
    }

    // Zero-pads (or keeps) dimension 1 to exactly `slots`.
    private static Tensor PadSlots(Tensor x, long slots)
    {
        long t = x.shape[1];
        if (t == slots)
            return x;
        var shape = x.shape.ToArray();
        shape[1] = slots - t;
        return cat([x, zeros(shape, dtype: x.dtype, device: x.device)], 1);
    }
}
