using KvStore.Client;

namespace KvStore.Kvctl;

/// <summary>What one command needs to do its work: a connected client and where to write.</summary>
internal sealed record Invocation(KvClient Client, ResultWriter Results, TextWriter Error);
