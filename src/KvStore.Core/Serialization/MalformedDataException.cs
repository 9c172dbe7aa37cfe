namespace KvStore.Core.Serialization;

/// <summary>Bytes that are not a valid encoding: truncated, out of bounds, unsorted or of an unknown version.</summary>
public sealed class MalformedDataException(string message) : FormatException(message);
