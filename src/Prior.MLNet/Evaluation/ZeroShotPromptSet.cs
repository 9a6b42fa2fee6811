namespace Prior.MLNet.Evaluation;

/// <summary>Which class prompts zero-shot classification uses by default (<see cref="ZeroShotPrompts"/>).</summary>
public enum ZeroShotPromptSet
{
    /// <summary>PRIOR's single prompt per class, "&lt;Class&gt; is observed." (the official weights' evaluation).</summary>
    Original,

    /// <summary>Several radiology phrasings per class, ensembled (<see cref="ZeroShotPrompts.CheXpert5"/>).</summary>
    Ensemble,
}
