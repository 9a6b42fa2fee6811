// The runtime honours this attribute (it is not in the BCL's reference assemblies, so it is declared here): the
// library may call the members of Microsoft.ML.Core that ML.NET keeps internal — its model persistence API.
[assembly: System.Runtime.CompilerServices.IgnoresAccessChecksTo("Microsoft.ML.Core")]
[assembly: System.Runtime.CompilerServices.IgnoresAccessChecksTo("Microsoft.ML.Data")]

namespace System.Runtime.CompilerServices
{
    /// <summary>Lets this assembly use non-public members of the named assembly (honoured by the .NET runtime).</summary>
    [AttributeUsage(AttributeTargets.Assembly, AllowMultiple = true)]
    internal sealed class IgnoresAccessChecksToAttribute(string assemblyName) : Attribute
    {
        /// <summary>The assembly whose access checks are ignored.</summary>
        public string AssemblyName { get; } = assemblyName;
    }
}
