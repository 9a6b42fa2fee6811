using Microsoft.ML.Data;

namespace Prior.MLNet.Data;

/// <summary>The ML.NET schema of a 14-slot CheXpert label column, shared by the MIMIC-CXR and CheXpert data views.</summary>
internal static class LabelColumn
{
    /// <summary>Annotates the column with the CheXpert observation names (ML.NET's "SlotNames" kind).</summary>
    public static void AddSlotNames(SchemaDefinition.Column column)
    {
        var names = new VBuffer<ReadOnlyMemory<char>>(ChexpertLabels.Count, ChexpertLabels.Names.Select(n => n.AsMemory()).ToArray());
        column.AddAnnotation("SlotNames", names, new VectorDataViewType(TextDataViewType.Instance, ChexpertLabels.Count));
    }
}
