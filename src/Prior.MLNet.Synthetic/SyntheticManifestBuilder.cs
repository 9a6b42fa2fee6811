using Prior.MLNet.Data;

namespace Prior.MLNet.Synthetic;

/// <summary>Collects the manifest's counts while the generator writes.</summary>
internal sealed class SyntheticManifestBuilder
{
    public Dictionary<string, int> MimicSkips { get; } = new();

    public Dictionary<string, int> CheXpertTrainSkips { get; } = new();

    public Dictionary<string, int> SinglePositive { get; } = ChexpertLabels.CompetitionFive.ToDictionary(c => c, _ => 0);

    public int CheXpertTrainRows { get; set; }

    public int CheXpertValidRows { get; set; }

    public void AddCheXpertSkip(SkipReason reason) =>
        CheXpertTrainSkips[reason.ToString()] = CheXpertTrainSkips.GetValueOrDefault(reason.ToString()) + 1;

    public void AddSinglePositive(string label) => SinglePositive[label]++;
}
