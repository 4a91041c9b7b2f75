using System;
using System.Collections;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;
using System.Threading;

namespace MqttPS.Core.Shell
{
    /// <summary>
    /// Objects to JSON the way PowerShell 7's ConvertTo-Json -Compress does, so that a payload reads the same as
    /// what users already know: nesting deeper than <see cref="Depth"/> (default 2) is written as the object's
    /// text and recorded in <see cref="TruncatedCount"/> (the cmdlet warns once), plain objects are written
    /// through their public fields and properties, a shell wrapper's own properties are added, and enums are
    /// numbers. Cancelling the token stops a conversion between two values (Ctrl+C on a huge object graph).
    /// One difference: a dictionary key that is not a string is written as its text, where ConvertTo-Json
    /// refuses the whole object (as it does for every ErrorRecord, whose exception keeps type-keyed data).
    /// </summary>
    public sealed class JsonConversion
    {
        public const int DefaultDepth = 2;

        /// <summary>ConvertTo-Json's own limit for -Depth.</summary>
        public const int MaximumDepth = 100;

        private static readonly ConcurrentDictionary<Type, Member[]> MembersByType = new ConcurrentDictionary<Type, Member[]>();

        private readonly IJsonObjectModel _model;
        private readonly CancellationToken _cancellation;
        private bool _truncated;

        public JsonConversion(int depth = DefaultDepth, IJsonObjectModel model = null, CancellationToken cancellation = default(CancellationToken))
        {
            if (depth < 0 || depth > MaximumDepth) throw new ArgumentOutOfRangeException(nameof(depth), depth, "The depth must be between 0 and " + MaximumDepth + ".");
            Depth = depth;
            _model = model ?? PlainJsonObjectModel.Instance;
            _cancellation = cancellation;
        }

        public int Depth { get; }

        /// <summary>How many conversions were cut at <see cref="Depth"/>.</summary>
        public int TruncatedCount { get; private set; }

        /// <summary>The same conversion settings with another depth (e.g. to compare two values in full).</summary>
        public JsonConversion WithDepth(int depth) => new JsonConversion(depth, _model, _cancellation);

        /// <summary>The compact JSON text of <paramref name="value"/>.</summary>
        public string Serialize(object value)
        {
            _truncated = false;
            var tree = Process(value, 0);
            if (_truncated) TruncatedCount++;
            return CompactJsonWriter.Write(tree);
        }

        private object Process(object value, int depth)
        {
            _cancellation.ThrowIfCancellationRequested();
            if (value == null || _model.IsNull(value)) return null;
            var target = _model.Unwrap(value, out var wrapper);
            if (target == null || target is DBNull || _model.IsNull(target)) return null;

            object result;
            var textOfPureWrapper = false;
            var customObject = false;
            if (CompactJsonWriter.IsScalar(target))
            {
                result = target;
            }
            else if (target.GetType().IsPrimitive)
            {
                result = target;
            }
            else if (target is Enum)
            {
                // ConvertTo-Json writes enums as numbers, except 64-bit ones, which JavaScript cannot hold exactly.
                var underlying = Enum.GetUnderlyingType(target.GetType());
                result = underlying == typeof(long) || underlying == typeof(ulong) ? (object)target.ToString() : target;
            }
            else if (depth > Depth)
            {
                _truncated = true;
                if (wrapper != null && _model.IsPureWrapper(wrapper))
                {
                    result = _model.ToText(wrapper);
                    textOfPureWrapper = true;
                }
                else
                {
                    result = _model.ToText(target);
                }
            }
            else if (target is JsonObject parsed)
            {
                var members = new JsonObject();
                foreach (var key in parsed.Keys) members[key] = Process(parsed[key], depth + 1);
                result = members;
            }
            else if (target is IDictionary dictionary)
            {
                var members = new JsonObject();
                foreach (DictionaryEntry entry in dictionary)
                    members[entry.Key as string ?? _model.ToText(entry.Key)] = Process(entry.Value, depth + 1);
                result = members;
            }
            else if (target is IEnumerable sequence)
            {
                var items = new List<object>();
                foreach (var item in sequence) items.Add(Process(item, depth + 1));
                result = items;
            }
            else
            {
                result = ProcessMembers(target, depth);
                customObject = true;
            }

            if (wrapper == null || textOfPureWrapper) return result;
            return AddWrapperProperties(wrapper, target, result, depth, customObject);
        }

        /// <summary>Public instance fields, then properties with a getter and no index, in declaration order; a
        /// getter that throws gives null, as in ConvertTo-Json.</summary>
        private JsonObject ProcessMembers(object target, int depth)
        {
            var members = new JsonObject();
            foreach (var member in MembersByType.GetOrAdd(target.GetType(), Member.Of))
            {
                object value;
                try { value = member.Read(target); }
                catch (Exception e) when (!(e is OutOfMemoryException)) { value = null; }
                members.TryAdd(member.Name, Process(value, depth + 1));
            }
            return members;
        }

        private object AddWrapperProperties(object wrapper, object target, object result, int depth, bool customObject)
        {
            if (target is string || target is DateTime) return result;
            var members = result as JsonObject;
            var wrapped = members == null;
            if (wrapped)
            {
                members = new JsonObject();
                members["value"] = result;
            }
            foreach (var property in _model.WrapperProperties(wrapper, customObject))
            {
                if (members.ContainsKey(property.Key)) continue;
                object value;
                try { value = property.Value(); }
                catch (Exception e) when (!(e is OutOfMemoryException)) { value = null; }
                members[property.Key] = Process(value, depth + 1);
            }
            return wrapped && members.Count == 1 ? result : members;
        }

        private sealed class Member
        {
            public string Name;
            public Func<object, object> Read;

            public static Member[] Of(Type type)
            {
                var members = new List<Member>();
                foreach (var field in type.GetFields(BindingFlags.Public | BindingFlags.Instance))
                {
                    if (IsIgnored(field)) continue;
                    var f = field;
                    members.Add(new Member { Name = f.Name, Read = o => f.GetValue(o) });
                }
                foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
                {
                    var getter = property.GetGetMethod();
                    if (getter == null || getter.GetParameters().Length != 0 || IsIgnored(property)) continue;
                    members.Add(new Member { Name = property.Name, Read = o => getter.Invoke(o, null) });
                }
                return members.ToArray();
            }

            // ConvertTo-Json honours Newtonsoft's [JsonIgnore]; matched by name, as we do not reference Newtonsoft.
            private static bool IsIgnored(MemberInfo member) =>
                member.CustomAttributes.Any(a => a.AttributeType.FullName == "Newtonsoft.Json.JsonIgnoreAttribute");
        }
    }
}
