namespace Prior.MLNet.Training;

/// <summary>One study as the trainer sees it: the images to draw from and the report's sentences.</summary>
/// <param name="Id">A name for messages (the study id or row).</param>
/// <param name="ImagePaths">Frontal images; one is drawn at random per epoch.</param>
/// <param name="Sentences">The report's sentences (impression then findings); shuffled per epoch.</param>
internal sealed record TrainingStudy(string Id, IReadOnlyList<string> ImagePaths, IReadOnlyList<string> Sentences);
