using System.Buffers.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace KeyVault.Embedded.Keys;

/// <summary>JSON (RFC 7517) forms of a JSON Web Key's members: base64url byte strings and the named string types.</summary>
internal static class JsonWebKeyConverters
{
    public sealed class Base64Url : JsonConverter<byte[]>
    {
        public override byte[]? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            var text = reader.GetString();
            if (text is null)
            {
                return null;
            }

            try
            {
                return System.Buffers.Text.Base64Url.DecodeFromChars(text);
            }
            catch (FormatException ex)
            {
                throw new JsonException("A JSON Web Key member is not valid base64url.", ex);
            }
        }

        public override void Write(Utf8JsonWriter writer, byte[] value, JsonSerializerOptions options) =>
            writer.WriteStringValue(System.Buffers.Text.Base64Url.EncodeToString(value));
    }

    public abstract class Named<T> : JsonConverter<T>
    {
        protected abstract T Create(string value);

        protected abstract string? Name(T value);

        public override T Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            Create(reader.GetString() ?? throw new JsonException($"A {typeof(T).Name} must be a string."));

        public override void Write(Utf8JsonWriter writer, T value, JsonSerializerOptions options) => writer.WriteStringValue(Name(value));
    }

    public sealed class KeyTypeName : Named<KeyType>
    {
        protected override KeyType Create(string value) => new(value);

        protected override string? Name(KeyType value) => value.Value;
    }

    public sealed class CurveName : Named<KeyCurveName>
    {
        protected override KeyCurveName Create(string value) => new(value);

        protected override string? Name(KeyCurveName value) => value.Value;
    }

    public sealed class OperationName : Named<KeyOperation>
    {
        protected override KeyOperation Create(string value) => new(value);

        protected override string? Name(KeyOperation value) => value.Value;
    }
}
