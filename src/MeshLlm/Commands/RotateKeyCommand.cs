using System.CommandLine;
using MeshLlm.Hosting;
using MeshLlm.Discovery.Nostr;
using MeshLlm.Identity;

namespace MeshLlm.Commands;

/// <summary><c>mesh-llm rotate-key</c>: gives this machine a new node key, keeping the old one as a backup.</summary>
internal static class RotateKeyCommand
{
    private static readonly Option<bool> s_nostr = new("--nostr")
    {
        Description = "Rotate the Nostr key that signs this node's listings instead ($MESH_LLM_HOME/nostr.nsec, kept as nostr.nsec.bak-<UTC time>).",
    };

    public static Command Create()
    {
        var command = new Command("rotate-key",
            "Give this machine a new node id: moves $MESH_LLM_HOME/key to key.bak-<UTC time> (kept, mode 0600) and creates a new key.");
        command.Options.Add(s_nostr);
        command.SetAction(result => Guarded(result.GetValue(s_nostr) ? RotateNostr : RotateNode));
        return command;
    }

    /// <summary>Runs a rotation; an unsafe key file or an unwritable home ends it with one line and exit code 2.</summary>
    private static int Guarded(Func<TerminalConsoleUi, string, int> rotate)
    {
        var ui = new TerminalConsoleUi();
        var home = MeshHome.Path;
        try
        {
            return rotate(ui, home);
        }
        catch (IdentityException e)
        {
            ui.Error(e.Message);
            return ExitCodes.ConfigInvalid;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            ui.Error($"Cannot rotate the key in {home}: {e.Message} Check the folder's permissions.");
            return ExitCodes.ConfigInvalid;
        }
    }

    /// <summary>A new Nostr identity for listings; the old key is kept. Listings signed with it expire within two minutes.</summary>
    private static int RotateNostr(TerminalConsoleUi ui, string home)
    {
        var path = Path.Combine(home, NostrKey.FileName);
        if (!File.Exists(path) && new FileInfo(path).LinkTarget is null)
        {
            ui.Info($"No Nostr key existed; created one: {NostrKey.LoadOrCreate(path).Npub}.");
            return ExitCodes.Ok;
        }

        var old = Describe(() => NostrKey.LoadOrCreate(path).Npub);
        var backup = MoveAside(path);
        var key = NostrKey.LoadOrCreate(path);
        ui.Info($"Rotated the Nostr key: {old} -> {key.Npub}; backup at {backup}. Restart publishing nodes to use it (their old listings expire within 2 minutes).");
        return ExitCodes.Ok;
    }

    private static int RotateNode(TerminalConsoleUi ui, string home)
    {
        var path = Path.Combine(home, NodeKey.FileName);
        if (!File.Exists(path) && new FileInfo(path).LinkTarget is null)
        {
            using var created = NodeKey.LoadOrCreate(home);
            ui.Info($"No node key existed in {home}; created a new one: id {created.Id.ToShortString()}.");
            return ExitCodes.Ok;
        }

        var oldId = Describe(() =>
        {
            using var old = NodeKey.LoadOrCreate(home);
            return old.Id.ToShortString();
        });
        var backup = MoveAside(path);
        using var key = NodeKey.LoadOrCreate(home);
        ui.Info($"Rotated node key: old id {oldId} -> new id {key.Id.ToShortString()}; backup at {backup}. Restart running nodes to use it.");
        return ExitCodes.Ok;
    }

    /// <summary>The current key's id, or a note saying why it is unknown (an unusable key is rotated all the same).</summary>
    private static string Describe(Func<string> id)
    {
        try
        {
            return id();
        }
        catch (IdentityException)
        {
            return "(unreadable key)";
        }
    }

    /// <summary>Moves the key to <c>key.bak-yyyyMMddHHmmss</c> (a suffix if that exists), owner-only; returns the backup's path.</summary>
    private static string MoveAside(string path)
    {
        var stamp = TimeProvider.System.GetUtcNow().ToString("yyyyMMddHHmmss", System.Globalization.CultureInfo.InvariantCulture);
        var backup = $"{path}.bak-{stamp}";
        for (var i = 2; File.Exists(backup) || new FileInfo(backup).LinkTarget is not null; i++)
        {
            backup = $"{path}.bak-{stamp}-{i}";
        }

        var isLink = new FileInfo(path).LinkTarget is not null;
        File.Move(path, backup, overwrite: false);
        if (!isLink && !OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(backup, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        return backup;
    }
}
