using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;

namespace Prior.MLNet.Tests.Build;

/// <summary>What an assembly references in other assemblies, read from its metadata without loading it.</summary>
internal static class AssemblyReferences
{
    /// <summary>A referenced type (full name, Outer+Inner for nested ones) and its assembly; with a member name for a member
    /// reference.</summary>
    internal readonly record struct Reference(string TypeName, string Assembly, string? Member);

    /// <summary>
    /// Every type reference (<see cref="Reference.Member"/> null) and every member reference on a referenced type (members
    /// of generic instantiations are left out: their type is among the type references) of the assembly at
    /// <paramref name="path"/>.
    /// </summary>
    public static List<Reference> Of(string path)
    {
        using var pe = new PEReader(File.OpenRead(path));
        var metadata = pe.GetMetadataReader();
        (string Name, string? Assembly) Describe(TypeReferenceHandle handle)
        {
            var type = metadata.GetTypeReference(handle);
            var name = metadata.GetString(type.Name);
            switch (type.ResolutionScope.Kind)
            {
                case HandleKind.TypeReference:
                    var outer = Describe((TypeReferenceHandle)type.ResolutionScope);
                    return ($"{outer.Name}+{name}", outer.Assembly);
                case HandleKind.AssemblyReference:
                    var assembly = metadata.GetString(metadata.GetAssemblyReference((AssemblyReferenceHandle)type.ResolutionScope).Name);
                    var space = metadata.GetString(type.Namespace);
                    return (space.Length > 0 ? $"{space}.{name}" : name, assembly);
                default:
                    return (name, null);
            }
        }

        var references = new List<Reference>();
        foreach (var handle in metadata.TypeReferences)
            if (Describe(handle) is (var name, { } assembly))
                references.Add(new Reference(name, assembly, null));
        foreach (var handle in metadata.MemberReferences)
        {
            var member = metadata.GetMemberReference(handle);
            if (member.Parent.Kind == HandleKind.TypeReference && Describe((TypeReferenceHandle)member.Parent) is (var type, { } assembly))
                references.Add(new Reference(type, assembly, metadata.GetString(member.Name)));
        }
        return references;
    }
}
