using System.CommandLine;

namespace KvStore.Kvctl;

/// <summary>set add, set remove and set members: commands on set keys.</summary>
internal static class SetCommands
{
    public static Command Create(GlobalOptions globals)
    {
        var command = new Command("set", "Work with set keys (add wins over a concurrent remove)");
        command.Subcommands.Add(Add(globals));
        command.Subcommands.Add(Remove(globals));
        command.Subcommands.Add(Members(globals));
        return command;
    }

    private static Command Add(GlobalOptions globals)
    {
        var key = KeyArgument();
        var elements = ElementsArgument();
        var command = new Command("add", "Add elements to a set, creating it") { key, elements };
        CommandRunner.SetAction(command, globals, async (result, run, cancellationToken) =>
        {
            var context = await run.Client.SetAddAsync(result.GetValue(key)!, result.GetValue(elements)!, cancellationToken: cancellationToken);
            await run.Results.WrittenAsync(context);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Remove(GlobalOptions globals)
    {
        var key = KeyArgument();
        var elements = ElementsArgument();
        var context = RegisterCommands.ContextOption("what this remove removes");
        var command = new Command("remove", "Remove elements from a set") { key, elements, context };
        CommandRunner.SetAction(command, globals, async (result, run, cancellationToken) =>
        {
            var written = await run.Client.SetRemoveAsync(
                result.GetValue(key)!,
                result.GetValue(elements)!,
                CommandRunner.ParseContext(result.GetValue(context)),
                cancellationToken: cancellationToken);
            await run.Results.WrittenAsync(written);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Members(GlobalOptions globals)
    {
        var key = KeyArgument();
        var failIfMissing = RegisterCommands.FailIfMissingOption();
        var command = new Command("members", "Print the members of a set, one per line; a missing or empty set prints nothing") { key, failIfMissing };
        CommandRunner.SetAction(command, globals, async (result, run, cancellationToken) =>
        {
            var name = result.GetValue(key)!;
            var set = await run.Client.GetSetAsync(name, cancellationToken: cancellationToken);
            if (set is null && result.GetValue(failIfMissing))
            {
                await run.Error.WriteLineAsync($"key not found: {name}");
                return ExitCodes.Error;
            }

            await run.Results.MembersAsync(name, set);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Argument<string> KeyArgument() => new("KEY") { Description = "The set's key (UTF-8)" };

    private static Argument<string[]> ElementsArgument() => new("ELEM")
    {
        Description = "Elements (UTF-8)",
        Arity = ArgumentArity.OneOrMore,
    };
}
