// =====================================================================================
//  COMPILE-TIME STAND-IN -- NEVER SHIPPED, NEVER RUN, NEVER REFERENCED BY USERS.
//
//  This file declares, with `throw new NotImplementedException()` bodies, the subset of
//  the public API of these real packages that hub-codegen's generated C# calls:
//
//    Microsoft.AspNetCore.SignalR.Client(.Core)  (dotnet/aspnetcore, src/SignalR/clients/csharp/Client.Core/src)
//    System.Text.Json                            (dotnet/runtime, src/libraries/System.Text.Json/ref/System.Text.Json.cs)
//    System.Threading.Channels                   (dotnet/runtime, src/libraries/System.Threading.Channels/ref/System.Threading.Channels.cs)
//
//  It exists only because the real NuGet packages cannot be fetched on the build machine:
//  tests/csharp/check.sh compiles it into its own assembly (StandIn.dll) with Mono's mcs and
//  then compiles the generated sample against it, exactly as user code is compiled against
//  the real assemblies. Every declaration below must match the real public API exactly
//  (namespace, type name, generic parameters, parameter types and order, return type,
//  default values, static/instance/extension-ness). Nullable annotations of the real
//  sources (`object?`, `T?`) are erased because C# 7.3 has none; at the IL level they are
//  identical.
//
//  Rule for editing: a member may be OMITTED (the stand-in then rejects code the real API
//  would accept -- a safe failure), but nothing may be ADDED or CHANGED that the real API
//  does not have (the stand-in would then accept code that breaks against the real API).
//  For the same reason, the constructors of classes that user code must not create are
//  private here, and whole overload sets are declared for the methods the generator calls,
//  so that overload resolution (and any ambiguity) behaves as it does against the real API.
//
//  IAsyncEnumerable<T>, IAsyncEnumerator<T>, IAsyncDisposable, ValueTask, ValueTask<T> and
//  ReadOnlySpan<T> are NOT declared here: Mono 6.8's mscorlib already defines them with the
//  same names as .NET / Microsoft.Bcl.AsyncInterfaces / System.Memory.
// =====================================================================================

using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;

namespace Microsoft.AspNetCore.SignalR.Client
{
    // Real: src/SignalR/clients/csharp/Client.Core/src/HubConnection.cs
    //   `public partial class HubConnection : IAsyncDisposable`
    // Its public constructors need IConnectionFactory/IHubProtocol/EndPoint/IServiceProvider/
    // ILoggerFactory and are not used by generated code; a private constructor stands in so
    // that `new HubConnection()` does not compile here either.
    public partial class HubConnection : IAsyncDisposable
    {
        private HubConnection() { }

        // HubConnection.cs
        public virtual ValueTask DisposeAsync() { throw new NotImplementedException(); }

        // HubConnection.cs -- low-level handler registration (void / Task-returning client methods).
        public virtual IDisposable On(string methodName, Type[] parameterTypes, Func<object[], object, Task> handler, object state) { throw new NotImplementedException(); }

        // HubConnection.cs -- low-level handler registration for client results (SignalR client >= 7.0).
        public virtual IDisposable On(string methodName, Type[] parameterTypes, Func<object[], object, Task<object>> handler, object state) { throw new NotImplementedException(); }

        // HubConnection.cs
        public virtual void Remove(string methodName) { throw new NotImplementedException(); }

        // HubConnection.cs -- instance overloads that take the result Type. Declared because they take
        // part in member lookup before the HubConnectionExtensions overloads below are considered.
        public virtual Task<System.Threading.Channels.ChannelReader<object>> StreamAsChannelCoreAsync(string methodName, Type returnType, object[] args, CancellationToken cancellationToken = default(CancellationToken)) { throw new NotImplementedException(); }

        // HubConnection.cs
        public virtual Task<object> InvokeCoreAsync(string methodName, Type returnType, object[] args, CancellationToken cancellationToken = default(CancellationToken)) { throw new NotImplementedException(); }

        // HubConnection.cs -- fire-and-forget send (no completion awaited from the server).
        public virtual Task SendCoreAsync(string methodName, object[] args, CancellationToken cancellationToken = default(CancellationToken)) { throw new NotImplementedException(); }

        // HubConnection.cs -- server-to-client stream as IAsyncEnumerable<TResult> (instance method, not an extension).
        public virtual IAsyncEnumerable<TResult> StreamAsyncCore<TResult>(string methodName, object[] args, CancellationToken cancellationToken = default(CancellationToken)) { throw new NotImplementedException(); }
    }

    // Real: `public static partial class HubConnectionExtensions`, split over
    // src/SignalR/clients/csharp/Client.Core/src/HubConnectionExtensions*.cs
    public static partial class HubConnectionExtensions
    {
        // HubConnectionExtensions.InvokeAsync.cs
        public static Task InvokeCoreAsync(this HubConnection hubConnection, string methodName, object[] args, CancellationToken cancellationToken = default(CancellationToken)) { throw new NotImplementedException(); }

        // HubConnectionExtensions.InvokeAsyncGeneric.cs
        public static Task<TResult> InvokeCoreAsync<TResult>(this HubConnection hubConnection, string methodName, object[] args, CancellationToken cancellationToken = default(CancellationToken)) { throw new NotImplementedException(); }

        // HubConnectionExtensions.StreamAsChannelAsync.cs
        public static Task<System.Threading.Channels.ChannelReader<TResult>> StreamAsChannelCoreAsync<TResult>(this HubConnection hubConnection, string methodName, object[] args, CancellationToken cancellationToken = default(CancellationToken)) { throw new NotImplementedException(); }
    }
}

namespace System.Threading.Channels
{
    // Real: dotnet/runtime src/libraries/System.Threading.Channels/ref/System.Threading.Channels.cs
    //   `public abstract partial class ChannelReader<T>`
    public abstract partial class ChannelReader<T>
    {
        protected ChannelReader() { }
        public virtual System.Threading.Tasks.Task Completion { get { throw new NotImplementedException(); } }
        public virtual System.Threading.Tasks.ValueTask<T> ReadAsync(System.Threading.CancellationToken cancellationToken = default(System.Threading.CancellationToken)) { throw new NotImplementedException(); }
        public abstract bool TryRead(out T item);
        public abstract System.Threading.Tasks.ValueTask<bool> WaitToReadAsync(System.Threading.CancellationToken cancellationToken = default(System.Threading.CancellationToken));
    }
}

namespace System.Text.Json
{
    // All of namespace System.Text.Json below: dotnet/runtime src/libraries/System.Text.Json/ref/System.Text.Json.cs

    // System.Text.Json.cs: `public partial class JsonException : System.Exception`
    public partial class JsonException : Exception
    {
        public JsonException() { }
        public JsonException(string message) { }
        public JsonException(string message, Exception innerException) { }
        public JsonException(string message, string path, long? lineNumber, long? bytePositionInLine) { }
        public JsonException(string message, string path, long? lineNumber, long? bytePositionInLine, Exception innerException) { }
        public string Path { get { throw new NotImplementedException(); } }
    }

    // System.Text.Json.cs: `public enum JsonTokenType : byte`
    public enum JsonTokenType : byte
    {
        None = 0,
        StartObject = 1,
        EndObject = 2,
        StartArray = 3,
        EndArray = 4,
        PropertyName = 5,
        Comment = 6,
        String = 7,
        Number = 8,
        True = 9,
        False = 10,
        Null = 11,
    }

    // System.Text.Json.cs: `public enum JsonValueKind : byte`
    public enum JsonValueKind : byte
    {
        Undefined = 0,
        Object = 1,
        Array = 2,
        String = 3,
        Number = 4,
        True = 5,
        False = 6,
        Null = 7,
    }

    // System.Text.Json.cs: `public sealed partial class JsonSerializerOptions` (only what the generator touches).
    public sealed partial class JsonSerializerOptions
    {
        public JsonSerializerOptions() { }
        public JsonSerializerOptions(JsonSerializerOptions options) { }
    }

    // System.Text.Json.cs: `public readonly partial struct JsonEncodedText` -- declared without members, only so
    // that the Utf8JsonWriter overload sets below are complete.
    public readonly partial struct JsonEncodedText
    {
    }

    // System.Text.Json.cs: `public static partial class JsonSerializer` (the string / Utf8JsonReader / Utf8JsonWriter
    // overload sets of Serialize and Deserialize; stream, byte[] and JsonSerializerContext overloads omitted).
    public static partial class JsonSerializer
    {
        public static object Deserialize(ReadOnlySpan<byte> utf8Json, Type returnType, JsonSerializerOptions options = null) { throw new NotImplementedException(); }
        public static object Deserialize(ReadOnlySpan<char> json, Type returnType, JsonSerializerOptions options = null) { throw new NotImplementedException(); }
        public static object Deserialize(string json, Type returnType, JsonSerializerOptions options = null) { throw new NotImplementedException(); }
        public static object Deserialize(ref Utf8JsonReader reader, Type returnType, JsonSerializerOptions options = null) { throw new NotImplementedException(); }
        public static TValue Deserialize<TValue>(ReadOnlySpan<byte> utf8Json, JsonSerializerOptions options = null) { throw new NotImplementedException(); }
        public static TValue Deserialize<TValue>(ReadOnlySpan<byte> utf8Json, System.Text.Json.Serialization.Metadata.JsonTypeInfo<TValue> jsonTypeInfo) { throw new NotImplementedException(); }
        public static TValue Deserialize<TValue>(ReadOnlySpan<char> json, JsonSerializerOptions options = null) { throw new NotImplementedException(); }
        public static TValue Deserialize<TValue>(ReadOnlySpan<char> json, System.Text.Json.Serialization.Metadata.JsonTypeInfo<TValue> jsonTypeInfo) { throw new NotImplementedException(); }
        public static TValue Deserialize<TValue>(string json, JsonSerializerOptions options = null) { throw new NotImplementedException(); }
        public static TValue Deserialize<TValue>(string json, System.Text.Json.Serialization.Metadata.JsonTypeInfo<TValue> jsonTypeInfo) { throw new NotImplementedException(); }
        public static TValue Deserialize<TValue>(ref Utf8JsonReader reader, JsonSerializerOptions options = null) { throw new NotImplementedException(); }
        public static TValue Deserialize<TValue>(ref Utf8JsonReader reader, System.Text.Json.Serialization.Metadata.JsonTypeInfo<TValue> jsonTypeInfo) { throw new NotImplementedException(); }
        public static string Serialize(object value, Type inputType, JsonSerializerOptions options = null) { throw new NotImplementedException(); }
        public static void Serialize(Utf8JsonWriter writer, object value, Type inputType, JsonSerializerOptions options = null) { throw new NotImplementedException(); }
        public static void Serialize<TValue>(Utf8JsonWriter writer, TValue value, JsonSerializerOptions options = null) { throw new NotImplementedException(); }
        public static void Serialize<TValue>(Utf8JsonWriter writer, TValue value, System.Text.Json.Serialization.Metadata.JsonTypeInfo<TValue> jsonTypeInfo) { throw new NotImplementedException(); }
        public static string Serialize<TValue>(TValue value, JsonSerializerOptions options = null) { throw new NotImplementedException(); }
        public static string Serialize<TValue>(TValue value, System.Text.Json.Serialization.Metadata.JsonTypeInfo<TValue> jsonTypeInfo) { throw new NotImplementedException(); }
    }

    // System.Text.Json.cs: `public sealed partial class JsonDocument : System.IDisposable` (internal constructor).
    public sealed partial class JsonDocument : IDisposable
    {
        private JsonDocument() { }
        public JsonElement RootElement { get { throw new NotImplementedException(); } }
        public void Dispose() { throw new NotImplementedException(); }
        public static JsonDocument ParseValue(ref Utf8JsonReader reader) { throw new NotImplementedException(); }
    }

    // System.Text.Json.cs: `public readonly partial struct JsonElement`
    public readonly partial struct JsonElement
    {
        public JsonValueKind ValueKind { get { throw new NotImplementedException(); } }
        public JsonElement Clone() { throw new NotImplementedException(); }
        public ArrayEnumerator EnumerateArray() { throw new NotImplementedException(); }
        public ObjectEnumerator EnumerateObject() { throw new NotImplementedException(); }
        public int GetArrayLength() { throw new NotImplementedException(); }
        public bool GetBoolean() { throw new NotImplementedException(); }
        public double GetDouble() { throw new NotImplementedException(); }
        public int GetInt32() { throw new NotImplementedException(); }
        public long GetInt64() { throw new NotImplementedException(); }
        public JsonElement GetProperty(ReadOnlySpan<byte> utf8PropertyName) { throw new NotImplementedException(); }
        public JsonElement GetProperty(ReadOnlySpan<char> propertyName) { throw new NotImplementedException(); }
        public JsonElement GetProperty(string propertyName) { throw new NotImplementedException(); }
        public string GetRawText() { throw new NotImplementedException(); }
        public string GetString() { throw new NotImplementedException(); }
        public bool TryGetProperty(ReadOnlySpan<byte> utf8PropertyName, out JsonElement value) { throw new NotImplementedException(); }
        public bool TryGetProperty(ReadOnlySpan<char> propertyName, out JsonElement value) { throw new NotImplementedException(); }
        public bool TryGetProperty(string propertyName, out JsonElement value) { throw new NotImplementedException(); }
        public void WriteTo(Utf8JsonWriter writer) { throw new NotImplementedException(); }
        public override string ToString() { throw new NotImplementedException(); }

        // System.Text.Json.cs: `public partial struct ArrayEnumerator : IEnumerable<JsonElement>, IEnumerator<JsonElement>, ...`
        public partial struct ArrayEnumerator : IEnumerable<JsonElement>, IEnumerator<JsonElement>, System.Collections.IEnumerable, System.Collections.IEnumerator, IDisposable
        {
            public JsonElement Current { get { throw new NotImplementedException(); } }
            object System.Collections.IEnumerator.Current { get { throw new NotImplementedException(); } }
            public void Dispose() { throw new NotImplementedException(); }
            public ArrayEnumerator GetEnumerator() { throw new NotImplementedException(); }
            public bool MoveNext() { throw new NotImplementedException(); }
            public void Reset() { throw new NotImplementedException(); }
            IEnumerator<JsonElement> IEnumerable<JsonElement>.GetEnumerator() { throw new NotImplementedException(); }
            System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() { throw new NotImplementedException(); }
        }

        // System.Text.Json.cs: `public partial struct ObjectEnumerator : IEnumerable<JsonProperty>, IEnumerator<JsonProperty>, ...`
        public partial struct ObjectEnumerator : IEnumerable<JsonProperty>, IEnumerator<JsonProperty>, System.Collections.IEnumerable, System.Collections.IEnumerator, IDisposable
        {
            public JsonProperty Current { get { throw new NotImplementedException(); } }
            object System.Collections.IEnumerator.Current { get { throw new NotImplementedException(); } }
            public void Dispose() { throw new NotImplementedException(); }
            public ObjectEnumerator GetEnumerator() { throw new NotImplementedException(); }
            public bool MoveNext() { throw new NotImplementedException(); }
            public void Reset() { throw new NotImplementedException(); }
            IEnumerator<JsonProperty> IEnumerable<JsonProperty>.GetEnumerator() { throw new NotImplementedException(); }
            System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() { throw new NotImplementedException(); }
        }
    }

    // System.Text.Json.cs: `public readonly partial struct JsonProperty`
    public readonly partial struct JsonProperty
    {
        public string Name { get { throw new NotImplementedException(); } }
        public JsonElement Value { get { throw new NotImplementedException(); } }
        public bool NameEquals(string text) { throw new NotImplementedException(); }
        public override string ToString() { throw new NotImplementedException(); }
    }

    // System.Text.Json.cs: `public ref partial struct Utf8JsonReader` (a ref struct: only ever passed by `ref`).
    public ref partial struct Utf8JsonReader
    {
        public JsonTokenType TokenType { get { throw new NotImplementedException(); } }
        public bool GetBoolean() { throw new NotImplementedException(); }
        public double GetDouble() { throw new NotImplementedException(); }
        public int GetInt32() { throw new NotImplementedException(); }
        public long GetInt64() { throw new NotImplementedException(); }
        public string GetString() { throw new NotImplementedException(); }
        public bool Read() { throw new NotImplementedException(); }
        public void Skip() { throw new NotImplementedException(); }
    }

    // System.Text.Json.cs: `public sealed partial class Utf8JsonWriter : System.IAsyncDisposable, System.IDisposable`.
    // Its public constructors (Stream / IBufferWriter<byte>, JsonWriterOptions) are not used by generated code;
    // a private constructor stands in.
    public sealed partial class Utf8JsonWriter : IAsyncDisposable, IDisposable
    {
        private Utf8JsonWriter() { }
        public void Dispose() { throw new NotImplementedException(); }
        public ValueTask DisposeAsync() { throw new NotImplementedException(); }
        public void Flush() { throw new NotImplementedException(); }

        public void WriteStartArray() { throw new NotImplementedException(); }
        public void WriteStartArray(ReadOnlySpan<byte> utf8PropertyName) { throw new NotImplementedException(); }
        public void WriteStartArray(ReadOnlySpan<char> propertyName) { throw new NotImplementedException(); }
        public void WriteStartArray(string propertyName) { throw new NotImplementedException(); }
        public void WriteStartArray(JsonEncodedText propertyName) { throw new NotImplementedException(); }
        public void WriteEndArray() { throw new NotImplementedException(); }

        public void WriteStartObject() { throw new NotImplementedException(); }
        public void WriteStartObject(ReadOnlySpan<byte> utf8PropertyName) { throw new NotImplementedException(); }
        public void WriteStartObject(ReadOnlySpan<char> propertyName) { throw new NotImplementedException(); }
        public void WriteStartObject(string propertyName) { throw new NotImplementedException(); }
        public void WriteStartObject(JsonEncodedText propertyName) { throw new NotImplementedException(); }
        public void WriteEndObject() { throw new NotImplementedException(); }

        public void WritePropertyName(ReadOnlySpan<byte> utf8PropertyName) { throw new NotImplementedException(); }
        public void WritePropertyName(ReadOnlySpan<char> propertyName) { throw new NotImplementedException(); }
        public void WritePropertyName(string propertyName) { throw new NotImplementedException(); }
        public void WritePropertyName(JsonEncodedText propertyName) { throw new NotImplementedException(); }

        public void WriteNullValue() { throw new NotImplementedException(); }

        public void WriteStringValue(DateTime value) { throw new NotImplementedException(); }
        public void WriteStringValue(DateTimeOffset value) { throw new NotImplementedException(); }
        public void WriteStringValue(Guid value) { throw new NotImplementedException(); }
        public void WriteStringValue(ReadOnlySpan<byte> utf8Value) { throw new NotImplementedException(); }
        public void WriteStringValue(ReadOnlySpan<char> value) { throw new NotImplementedException(); }
        public void WriteStringValue(string value) { throw new NotImplementedException(); }
        public void WriteStringValue(JsonEncodedText value) { throw new NotImplementedException(); }

        public void WriteString(ReadOnlySpan<byte> utf8PropertyName, DateTime value) { throw new NotImplementedException(); }
        public void WriteString(ReadOnlySpan<byte> utf8PropertyName, DateTimeOffset value) { throw new NotImplementedException(); }
        public void WriteString(ReadOnlySpan<byte> utf8PropertyName, Guid value) { throw new NotImplementedException(); }
        public void WriteString(ReadOnlySpan<byte> utf8PropertyName, ReadOnlySpan<byte> utf8Value) { throw new NotImplementedException(); }
        public void WriteString(ReadOnlySpan<byte> utf8PropertyName, ReadOnlySpan<char> value) { throw new NotImplementedException(); }
        public void WriteString(ReadOnlySpan<byte> utf8PropertyName, string value) { throw new NotImplementedException(); }
        public void WriteString(ReadOnlySpan<byte> utf8PropertyName, JsonEncodedText value) { throw new NotImplementedException(); }
        public void WriteString(ReadOnlySpan<char> propertyName, DateTime value) { throw new NotImplementedException(); }
        public void WriteString(ReadOnlySpan<char> propertyName, DateTimeOffset value) { throw new NotImplementedException(); }
        public void WriteString(ReadOnlySpan<char> propertyName, Guid value) { throw new NotImplementedException(); }
        public void WriteString(ReadOnlySpan<char> propertyName, ReadOnlySpan<byte> utf8Value) { throw new NotImplementedException(); }
        public void WriteString(ReadOnlySpan<char> propertyName, ReadOnlySpan<char> value) { throw new NotImplementedException(); }
        public void WriteString(ReadOnlySpan<char> propertyName, string value) { throw new NotImplementedException(); }
        public void WriteString(ReadOnlySpan<char> propertyName, JsonEncodedText value) { throw new NotImplementedException(); }
        public void WriteString(string propertyName, DateTime value) { throw new NotImplementedException(); }
        public void WriteString(string propertyName, DateTimeOffset value) { throw new NotImplementedException(); }
        public void WriteString(string propertyName, Guid value) { throw new NotImplementedException(); }
        public void WriteString(string propertyName, ReadOnlySpan<byte> utf8Value) { throw new NotImplementedException(); }
        public void WriteString(string propertyName, ReadOnlySpan<char> value) { throw new NotImplementedException(); }
        public void WriteString(string propertyName, string value) { throw new NotImplementedException(); }
        public void WriteString(string propertyName, JsonEncodedText value) { throw new NotImplementedException(); }
        public void WriteString(JsonEncodedText propertyName, DateTime value) { throw new NotImplementedException(); }
        public void WriteString(JsonEncodedText propertyName, DateTimeOffset value) { throw new NotImplementedException(); }
        public void WriteString(JsonEncodedText propertyName, Guid value) { throw new NotImplementedException(); }
        public void WriteString(JsonEncodedText propertyName, ReadOnlySpan<byte> utf8Value) { throw new NotImplementedException(); }
        public void WriteString(JsonEncodedText propertyName, ReadOnlySpan<char> value) { throw new NotImplementedException(); }
        public void WriteString(JsonEncodedText propertyName, string value) { throw new NotImplementedException(); }
        public void WriteString(JsonEncodedText propertyName, JsonEncodedText value) { throw new NotImplementedException(); }
    }
}

namespace System.Text.Json.Serialization
{
    // All of namespace System.Text.Json.Serialization below: dotnet/runtime src/libraries/System.Text.Json/ref/System.Text.Json.cs

    // System.Text.Json.cs: `public abstract partial class JsonAttribute : System.Attribute`
    public abstract partial class JsonAttribute : Attribute
    {
        protected JsonAttribute() { }
    }

    // System.Text.Json.cs: `public abstract partial class JsonConverter` (internal constructor: only
    // JsonConverter<T> and JsonConverterFactory can derive from it).
    public abstract partial class JsonConverter
    {
        internal JsonConverter() { }
        public abstract bool CanConvert(Type typeToConvert);
    }

    // System.Text.Json.cs: `public abstract partial class JsonConverter<T> : JsonConverter`
    // (real Read returns `T?`, an annotation only).
    public abstract partial class JsonConverter<T> : JsonConverter
    {
        protected internal JsonConverter() { }
        public virtual bool HandleNull { get { throw new NotImplementedException(); } }
        public override bool CanConvert(Type typeToConvert) { throw new NotImplementedException(); }
        public abstract T Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options);
        public abstract void Write(Utf8JsonWriter writer, T value, JsonSerializerOptions options);
    }

    // System.Text.Json.cs: `public partial class JsonConverterAttribute : JsonAttribute`
    // (newer releases also allow AttributeTargets.Interface; the narrower older set is kept here).
    [AttributeUsage(AttributeTargets.Class | AttributeTargets.Enum | AttributeTargets.Field | AttributeTargets.Property | AttributeTargets.Struct, AllowMultiple = false)]
    public partial class JsonConverterAttribute : JsonAttribute
    {
        protected JsonConverterAttribute() { }
        public JsonConverterAttribute(Type converterType) { }
        public Type ConverterType { get { throw new NotImplementedException(); } }
        public virtual JsonConverter CreateConverter(Type typeToConvert) { throw new NotImplementedException(); }
    }

    // System.Text.Json.cs: `public sealed partial class JsonPropertyNameAttribute : JsonAttribute`
    [AttributeUsage(AttributeTargets.Field | AttributeTargets.Property, AllowMultiple = false)]
    public sealed partial class JsonPropertyNameAttribute : JsonAttribute
    {
        public JsonPropertyNameAttribute(string name) { }
        public string Name { get { throw new NotImplementedException(); } }
    }

    // System.Text.Json.cs: `public sealed partial class JsonIgnoreAttribute : JsonAttribute`
    [AttributeUsage(AttributeTargets.Field | AttributeTargets.Property, AllowMultiple = false)]
    public sealed partial class JsonIgnoreAttribute : JsonAttribute
    {
        public JsonIgnoreAttribute() { }
        public JsonIgnoreCondition Condition { get { throw new NotImplementedException(); } set { throw new NotImplementedException(); } }
    }

    // System.Text.Json.cs: `public enum JsonIgnoreCondition` (System.Text.Json >= 5.0)
    public enum JsonIgnoreCondition
    {
        Never = 0,
        Always = 1,
        WhenWritingDefault = 2,
        WhenWritingNull = 3,
    }
}

namespace System.Text.Json.Serialization.Metadata
{
    // System.Text.Json.cs (>= 7.0): `public abstract partial class JsonTypeInfo` and
    // `public sealed partial class JsonTypeInfo<T> : JsonTypeInfo`, both with internal constructors.
    // Declared only so the JsonSerializer overload sets above are complete (e.g. a `null` options
    // argument is ambiguous against the real API, and so it is here).
    public abstract partial class JsonTypeInfo
    {
        internal JsonTypeInfo() { }
    }

    public sealed partial class JsonTypeInfo<T> : JsonTypeInfo
    {
        internal JsonTypeInfo() { }
    }
}
