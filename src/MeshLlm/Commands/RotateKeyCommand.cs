using System.CommandLine;
using MeshLlm.Hosting;
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
        command.SetAction(result => result.GetValue(s_nostr) ? RunNostr() : Run());
        return command;
    }

    /// <summary>A new Nostr identity for listings; the old key is kept. Listings signed with it expire within two minutes.</summary>
    private static int RunNostr()
    {
        var ui = new TerminalConsoleUi();
        var path = Path.Combine(MeshHome.Path, Discovery.Nostr.NostrKey.FileName);
        try
        {
            var old = File.Exists(path) ? Discovery.Nostr.NostrKey.LoadOrCreate(path).Npub : null;
            var backup = old is null ? null : MoveAside(path);
            var key = Discovery.Nostr.NostrKey.LoadOrCreate(path);
            ui.Info(old is null
                ? $"No Nostr key existed; created one: {key.Npub}."
                : $"Rotated the Nostr key: {old} -> {key.Npub}; backup at {backup}. Restart publishing nodes to use it (their old listings expire within 2 minutes).");
            return ExitCodes.Ok;
        }
        catch (IdentityException e)
        {
            ui.Error(e.Message);
            return ExitCodes.ConfigInvalid;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            ui.Error($"Cannot rotate the Nostr key {path}: {e.Message} Check the folder's permissions.");
            return ExitCodes.ConfigInvalid;
        }
    }

    private static int Run()
    {
        var ui = new TerminalConsoleUi();
        var home = MeshHome.Path;
        var path = Path.Combine(home, NodeKey.FileName);
        try
        {
            if (!File.Exists(path) && new FileInfo(path).LinkTarget is null)
            {
                using var created = NodeKey.LoadOrCreate(home);
                ui.Info($"No node key existed in {home}; created a new one: id {created.Id.ToShortString()}.");
                return ExitCodes.Ok;
            }

            var oldId = OldId(home);
            var backup = MoveAside(path);
            using var key = NodeKey.LoadOrCreate(home);
            ui.Info($"Rotated node key: old id {oldId} -> new id {key.Id.ToShortString()}; backup at {backup}. Restart running nodes to use it.");
            return ExitCodes.Ok;
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

    /// <summary>The current key's short id, or a note saying why it is unknown (an unusable key is rotated all the same).</summary>
    private static string OldId(string home)
    {
        try
        {
            using var old = NodeKey.LoadOrCreate(home);
            return old.Id.ToShortString();
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
