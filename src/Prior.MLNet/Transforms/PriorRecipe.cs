namespace Prior.MLNet.Transforms;

/// <summary>
/// How <c>PriorPretrain</c> trains PRIOR's stages 2–3: the recipe supplies every research switch of
/// <see cref="PriorPretrainOptions"/> left unset (null); a switch that is set wins over its recipe.
/// </summary>
public enum PriorRecipe
{
    /// <summary>
    /// The paper's stages as the original implementation trains them: the bank, the reconstruction and the prototype
    /// generation train with the towers (coupled), the bank starts from N(0, 1) and scores by dot product, and each stage
    /// has its own AdamW and warm-up plus cosine schedule.
    /// </summary>
    Original,

    /// <summary>
    /// What the demo trains (docs/training.md): stages 2–3 train only the bank and the decoders on detached features, so
    /// the towers end exactly where stage 1 alone takes them; one optimizer over all stages, the towers on one continuous
    /// schedule and the bank and decoders on their own stages' schedules; a centred-cosine bank started by k-means whose
    /// unused prototypes restart. The representation (embeddings, zero-shot, retrieval, nearest-report drafts) is stage
    /// 1's; the bank and decoders add prototype drafts and prototype analysis (docs/drafting.md says what they are worth).
    /// </summary>
    Decoupled,
}
