using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;

namespace MqttPS.Module.Tests.Metadata
{
    /// <summary>
    /// Checks that every type and member an assembly references exists in a set of reference assemblies (the .NET
    /// Framework 4.7.2 ones, say), reading metadata only: type references are followed through type forwarders
    /// (netstandard.dll to mscorlib, System, ...), member references are matched by name and signature on the
    /// resolved type or its base types. What the runtime would fail to bind with a TypeLoadException or
    /// MissingMethodException shows up here without running anything.
    /// </summary>
    public sealed class ReferenceResolver : IDisposable
    {
        private readonly Dictionary<string, string> _paths = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        private readonly Dictionary<string, Loaded> _loaded = new Dictionary<string, Loaded>(StringComparer.OrdinalIgnoreCase);

        /// <param name="assemblyPaths">The assemblies references may resolve to, found by simple name.</param>
        public ReferenceResolver(IEnumerable<string> assemblyPaths)
        {
            foreach (var path in assemblyPaths) _paths[Path.GetFileNameWithoutExtension(path)] = path;
        }

        /// <summary>Resolves every TypeRef and MemberRef of <paramref name="assemblyPath"/>.</summary>
        public ResolutionReport Check(string assemblyPath)
        {
            var target = Open(assemblyPath);
            var report = new ResolutionReport();
            var reader = target.Reader;
            foreach (var handle in reader.TypeReferences)
            {
                report.Types++;
                var reference = reader.GetTypeReference(handle);
                if (ResolveTypeReference(target, handle, out var failure) == null)
                    report.Unresolved.Add("type " + FullName(reader, reference) + ": " + failure);
            }
            foreach (var handle in reader.MemberReferences)
            {
                var member = reader.GetMemberReference(handle);
                var parent = ResolveParent(target, member.Parent, out var parentName, out var failure);
                if (parentName == null) continue; // a vararg call site or a module-level reference: nothing to resolve
                report.Members++;
                var name = reader.GetString(member.Name);
                if (parent == null)
                {
                    report.Unresolved.Add("member " + parentName + "::" + name + ": " + failure);
                    continue;
                }
                var signature = SignatureOf(target, member.Signature, member.GetKind());
                if (!HasMember(parent.Value.Assembly, parent.Value.Handle, name, signature, member.GetKind()))
                    report.Unresolved.Add("member " + parentName + "::" + name + " " + signature + ": not found in " + parent.Value.Assembly.Name);
            }
            return report;
        }

        private readonly struct TypeInAssembly
        {
            public TypeInAssembly(Loaded assembly, TypeDefinitionHandle handle) { Assembly = assembly; Handle = handle; }
            public Loaded Assembly { get; }
            public TypeDefinitionHandle Handle { get; }
        }

        private TypeInAssembly? ResolveParent(Loaded context, EntityHandle parent, out string parentName, out string failure)
        {
            failure = null;
            var reader = context.Reader;
            switch (parent.Kind)
            {
                case HandleKind.TypeReference:
                    parentName = FullName(reader, reader.GetTypeReference((TypeReferenceHandle)parent));
                    return ResolveTypeReference(context, (TypeReferenceHandle)parent, out failure);
                case HandleKind.TypeDefinition:
                    parentName = FullName(reader, (TypeDefinitionHandle)parent);
                    return new TypeInAssembly(context, (TypeDefinitionHandle)parent);
                case HandleKind.TypeSpecification:
                    // A generic instantiation (List<int>): its members are those of the generic type definition.
                    var blob = reader.GetBlobReader(reader.GetTypeSpecification((TypeSpecificationHandle)parent).Signature);
                    var code = blob.ReadSignatureTypeCode();
                    if (code == SignatureTypeCode.GenericTypeInstance)
                    {
                        blob.ReadSignatureTypeCode(); // CLASS or VALUETYPE
                        var generic = blob.ReadTypeHandle();
                        return ResolveParent(context, generic, out parentName, out failure);
                    }
                    parentName = null; // arrays' Get/Set/Address: provided by the runtime
                    return null;
                default:
                    parentName = null;
                    return null;
            }
        }

        private TypeInAssembly? ResolveTypeReference(Loaded context, TypeReferenceHandle handle, out string failure)
        {
            var reader = context.Reader;
            var reference = reader.GetTypeReference(handle);
            var ns = reader.GetString(reference.Namespace);
            var name = reader.GetString(reference.Name);
            var scope = reference.ResolutionScope;
            switch (scope.Kind)
            {
                case HandleKind.AssemblyReference:
                    var assemblyName = reader.GetString(reader.GetAssemblyReference((AssemblyReferenceHandle)scope).Name);
                    return ResolveInAssembly(assemblyName, ns, name, 0, out failure);
                case HandleKind.TypeReference:
                    var outer = ResolveTypeReference(context, (TypeReferenceHandle)scope, out failure);
                    if (outer == null) return null;
                    var nested = FindNested(outer.Value, name);
                    failure = nested == null ? "nested type " + name + " not found in " + outer.Value.Assembly.Name : null;
                    return nested;
                case HandleKind.ModuleDefinition:
                    return FindDefinition(context, ns, name, out failure);
                default:
                    failure = "resolution scope " + scope.Kind + " is not supported";
                    return null;
            }
        }

        private TypeInAssembly? ResolveInAssembly(string assemblyName, string ns, string name, int depth, out string failure)
        {
            if (depth > 8) { failure = "type forwarding loop"; return null; }
            var assembly = Open(assemblyName);
            if (assembly == null) { failure = "assembly " + assemblyName + " is not among the reference assemblies"; return null; }
            var found = FindDefinition(assembly, ns, name, out failure);
            if (found != null) return found;
            var reader = assembly.Reader;
            foreach (var exportedHandle in reader.ExportedTypes)
            {
                var exported = reader.GetExportedType(exportedHandle);
                if (reader.GetString(exported.Namespace) != ns || reader.GetString(exported.Name) != name) continue;
                if (exported.Implementation.Kind != HandleKind.AssemblyReference) continue;
                var target = reader.GetString(reader.GetAssemblyReference((AssemblyReferenceHandle)exported.Implementation).Name);
                return ResolveInAssembly(target, ns, name, depth + 1, out failure);
            }
            failure = "not defined or forwarded by " + assemblyName;
            return null;
        }

        private static TypeInAssembly? FindDefinition(Loaded assembly, string ns, string name, out string failure)
        {
            failure = null;
            if (assembly.TopLevel.TryGetValue(ns + "." + name, out var handle)) return new TypeInAssembly(assembly, handle);
            failure = "not defined in " + assembly.Name;
            return null;
        }

        private static TypeInAssembly? FindNested(TypeInAssembly outer, string name)
        {
            var reader = outer.Assembly.Reader;
            foreach (var nested in reader.GetTypeDefinition(outer.Handle).GetNestedTypes())
                if (reader.GetString(reader.GetTypeDefinition(nested).Name) == name) return new TypeInAssembly(outer.Assembly, nested);
            return null;
        }

        /// <summary>Whether the type, or one of its base types, declares a member of that name and signature.</summary>
        private bool HasMember(Loaded assembly, TypeDefinitionHandle typeHandle, string name, string signature, MemberReferenceKind kind)
        {
            for (var depth = 0; depth < 32; depth++)
            {
                var reader = assembly.Reader;
                var type = reader.GetTypeDefinition(typeHandle);
                if (kind == MemberReferenceKind.Method)
                {
                    foreach (var m in type.GetMethods())
                    {
                        var method = reader.GetMethodDefinition(m);
                        if (reader.GetString(method.Name) == name && SignatureOf(assembly, method.Signature, kind) == signature) return true;
                    }
                }
                else
                {
                    foreach (var f in type.GetFields())
                    {
                        var field = reader.GetFieldDefinition(f);
                        if (reader.GetString(field.Name) == name && SignatureOf(assembly, field.Signature, kind) == signature) return true;
                    }
                }
                if (type.BaseType.IsNil) return false;
                var baseType = ResolveParent(assembly, type.BaseType, out _, out _);
                if (baseType == null) return false;
                assembly = baseType.Value.Assembly;
                typeHandle = baseType.Value.Handle;
            }
            return false;
        }

        private static string SignatureOf(Loaded assembly, BlobHandle signature, MemberReferenceKind kind)
        {
            var decoder = new SignatureDecoder<string, object>(CanonicalTypeNames.Instance, assembly.Reader, null);
            var blob = assembly.Reader.GetBlobReader(signature);
            if (kind == MemberReferenceKind.Field) return decoder.DecodeFieldSignature(ref blob);
            var method = decoder.DecodeMethodSignature(ref blob);
            return method.ReturnType + "(" + string.Join(",", method.ParameterTypes) + ")" +
                (method.GenericParameterCount > 0 ? "`" + method.GenericParameterCount : "") + (method.Header.IsInstance ? "" : " static");
        }

        internal static string FullName(MetadataReader reader, TypeReference reference)
        {
            var name = reader.GetString(reference.Name);
            if (reference.ResolutionScope.Kind == HandleKind.TypeReference)
                return FullName(reader, reader.GetTypeReference((TypeReferenceHandle)reference.ResolutionScope)) + "/" + name;
            var ns = reader.GetString(reference.Namespace);
            return ns.Length == 0 ? name : ns + "." + name;
        }

        internal static string FullName(MetadataReader reader, TypeDefinitionHandle handle)
        {
            var definition = reader.GetTypeDefinition(handle);
            var name = reader.GetString(definition.Name);
            var declaring = definition.GetDeclaringType();
            if (!declaring.IsNil) return FullName(reader, declaring) + "/" + name;
            var ns = reader.GetString(definition.Namespace);
            return ns.Length == 0 ? name : ns + "." + name;
        }

        private Loaded Open(string nameOrPath)
        {
            var path = File.Exists(nameOrPath) ? nameOrPath : _paths.TryGetValue(nameOrPath, out var known) ? known : null;
            if (path == null) return null;
            if (_loaded.TryGetValue(path, out var loaded)) return loaded;
            loaded = new Loaded(path);
            _loaded[path] = loaded;
            return loaded;
        }

        public void Dispose()
        {
            foreach (var loaded in _loaded.Values) loaded.Dispose();
            _loaded.Clear();
        }

        private sealed class Loaded : IDisposable
        {
            private readonly PEReader _pe;

            public Loaded(string path)
            {
                _pe = new PEReader(File.OpenRead(path));
                Reader = _pe.GetMetadataReader();
                Name = Path.GetFileName(path);
                foreach (var handle in Reader.TypeDefinitions)
                {
                    var type = Reader.GetTypeDefinition(handle);
                    if (!type.GetDeclaringType().IsNil) continue;
                    TopLevel[Reader.GetString(type.Namespace) + "." + Reader.GetString(type.Name)] = handle;
                }
            }

            public MetadataReader Reader { get; }
            public string Name { get; }
            public Dictionary<string, TypeDefinitionHandle> TopLevel { get; } = new Dictionary<string, TypeDefinitionHandle>(StringComparer.Ordinal);

            public void Dispose() => _pe.Dispose();
        }

        /// <summary>Type names as they compare across assemblies: namespace-qualified, whatever assembly defines or forwards them.</summary>
        private sealed class CanonicalTypeNames : ISignatureTypeProvider<string, object>
        {
            public static readonly CanonicalTypeNames Instance = new CanonicalTypeNames();

            public string GetPrimitiveType(PrimitiveTypeCode typeCode) => "System." + typeCode switch
            {
                PrimitiveTypeCode.Boolean => "Boolean", PrimitiveTypeCode.Byte => "Byte", PrimitiveTypeCode.Char => "Char",
                PrimitiveTypeCode.Double => "Double", PrimitiveTypeCode.Int16 => "Int16", PrimitiveTypeCode.Int32 => "Int32",
                PrimitiveTypeCode.Int64 => "Int64", PrimitiveTypeCode.IntPtr => "IntPtr", PrimitiveTypeCode.Object => "Object",
                PrimitiveTypeCode.SByte => "SByte", PrimitiveTypeCode.Single => "Single", PrimitiveTypeCode.String => "String",
                PrimitiveTypeCode.TypedReference => "TypedReference", PrimitiveTypeCode.UInt16 => "UInt16", PrimitiveTypeCode.UInt32 => "UInt32",
                PrimitiveTypeCode.UInt64 => "UInt64", PrimitiveTypeCode.UIntPtr => "UIntPtr", PrimitiveTypeCode.Void => "Void",
                _ => typeCode.ToString(),
            };

            public string GetTypeFromDefinition(MetadataReader reader, TypeDefinitionHandle handle, byte rawTypeKind) => FullName(reader, handle);
            public string GetTypeFromReference(MetadataReader reader, TypeReferenceHandle handle, byte rawTypeKind) => FullName(reader, reader.GetTypeReference(handle));
            public string GetTypeFromSpecification(MetadataReader reader, object genericContext, TypeSpecificationHandle handle, byte rawTypeKind) =>
                reader.GetTypeSpecification(handle).DecodeSignature(this, genericContext);
            public string GetSZArrayType(string elementType) => elementType + "[]";
            public string GetArrayType(string elementType, ArrayShape shape) => elementType + "[" + new string(',', shape.Rank - 1) + "]";
            public string GetByReferenceType(string elementType) => elementType + "&";
            public string GetPointerType(string elementType) => elementType + "*";
            public string GetPinnedType(string elementType) => elementType + " pinned";
            public string GetGenericInstantiation(string genericType, ImmutableArray<string> typeArguments) => genericType + "<" + string.Join(",", typeArguments) + ">";
            public string GetGenericTypeParameter(object genericContext, int index) => "!" + index;
            public string GetGenericMethodParameter(object genericContext, int index) => "!!" + index;
            public string GetModifiedType(string modifier, string unmodifiedType, bool isRequired) => unmodifiedType + (isRequired ? " modreq(" : " modopt(") + modifier + ")";
            public string GetFunctionPointerType(MethodSignature<string> signature) => "method " + signature.ReturnType + "(" + string.Join(",", signature.ParameterTypes) + ")";
        }
    }

    /// <summary>How many type and member references were checked, and those that did not resolve.</summary>
    public sealed class ResolutionReport
    {
        public int Types { get; set; }
        public int Members { get; set; }
        public List<string> Unresolved { get; } = new List<string>();
        public override string ToString() => Types + " types, " + Members + " members, " + Unresolved.Count + " unresolved" +
            (Unresolved.Count == 0 ? "" : ":\n  " + string.Join("\n  ", Unresolved));
    }
}
