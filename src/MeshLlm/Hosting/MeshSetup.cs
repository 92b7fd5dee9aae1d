using MeshLlm.Identity;
using MeshLlm.Membership;
using MeshLlm.Transport;

namespace MeshLlm.Hosting;

/// <summary>What a node needs to take part in the mesh, prepared and checked before anything starts.</summary>
/// <param name="Key">This node's key: from <c>$MESH_LLM_HOME/key</c>, or ephemeral for clients and <c>MESH_LLM_EPHEMERAL_KEY</c>.</param>
/// <param name="Credentials">The mesh this node starts (originator) or the first token's mesh (joiner; the node adopts the one that works).</param>
/// <param name="Joins">The parsed <c>--join</c> tokens; empty for an originator.</param>
/// <param name="Home">The home folder the mesh files live in.</param>
/// <param name="Auto"><c>--auto</c>: <see cref="Joins"/> are the discovered meshes, best first; when none can be joined the
/// node starts its own mesh (<see cref="OwnCredentials"/>) instead of retrying.</param>
internal sealed record MeshSetup(NodeKey Key, MeshCredentials Credentials, IReadOnlyList<InviteToken> Joins, string Home, bool Auto = false)
{
    public const string EphemeralKeyVariable = "MESH_LLM_EPHEMERAL_KEY";

    public bool IsOriginator => Joins.Count == 0;

    /// <summary><c>--auto</c>: the listings of the meshes in <see cref="Joins"/> (their demand guides what a joiner fetches).</summary>
    public IReadOnlyList<Discovery.DiscoveredMesh> Discovered { get; init; } = [];

    /// <summary>Checks the mesh options without touching any file; returns the parsed tokens.</summary>
    /// <exception cref="CommandException">A wrong combination of options, a bad token or a bad address.</exception>
    public static IReadOnlyList<InviteToken> Check(MembershipOptions mesh, TransportOptions transport, bool hasModel, bool auto = false)
    {
        var joins = mesh.Join.Where(t => !string.IsNullOrWhiteSpace(t)).ToList();
        if (auto && joins.Count > 0)
        {
            throw new CommandException("--auto finds a mesh on Nostr, --join names one; leave out one of them.", ExitCodes.Usage);
        }

        if (mesh.Client && hasModel)
        {
            throw new CommandException("--client runs no engine, so it takes no --model; leave out one of them.", ExitCodes.Usage);
        }

        if (mesh.Client && joins.Count == 0 && !auto)
        {
            throw new CommandException("--client needs --join TOKEN or --auto: a passive client uses an existing mesh (get a token with 'mesh-llm token' on one of its nodes).", ExitCodes.Usage);
        }

        if (!hasModel && joins.Count == 0 && !auto)
        {
            throw new CommandException("No model given. Run with --model <file.gguf> to start a mesh (for a test model: mesh-llm make-test-model tiny.gguf), with --join TOKEN to join one, or with --auto to find one.", ExitCodes.Usage);
        }

        if (joins.Count > 0 && !string.IsNullOrWhiteSpace(mesh.MeshName))
        {
            throw new CommandException("--mesh-name names a mesh this node starts, but with --join it takes the token's mesh; leave out one of them.", ExitCodes.Usage);
        }

        var tokens = new List<InviteToken>();
        for (var i = 0; i < joins.Count; i++)
        {
            if (!InviteToken.TryParse(joins[i], out var token, out var error))
            {
                var which = joins.Count == 1 ? "--join token" : $"--join token {i + 1} of {joins.Count}";
                throw new CommandException($"{which}: {error}", ExitCodes.ConfigInvalid);
            }

            tokens.Add(token);
        }

        foreach (var address in transport.Advertise.Where(a => !AddressList.IsAdvertisable(a)))
        {
            throw new CommandException($"--advertise '{address}' is not a host name, host:port, IP address or [IPv6]:port.", ExitCodes.ConfigInvalid);
        }

        return tokens;
    }

    /// <summary>The mesh this node starts: its id and join secret, kept in the home folder so its tokens stay valid.</summary>
    public static MeshCredentials OwnCredentials(string home, string? meshName) =>
        new(MeshFiles.LoadOrCreateMeshId(home, meshName), MeshFiles.LoadOrCreateSecret(home));

    /// <summary>Loads (or creates) the key and, for an originator, the mesh id and join secret.</summary>
    /// <exception cref="CommandException">An identity file is unsafe or unusable, or the home folder is not writable.</exception>
    public static MeshSetup Create(IReadOnlyList<InviteToken> joins, MembershipOptions mesh, string home, bool auto = false)
    {
        NodeKey? key = null;
        try
        {
            key = mesh.Client || Environment.GetEnvironmentVariables().Contains(EphemeralKeyVariable)
                ? NodeKey.Ephemeral()
                : NodeKey.LoadOrCreate(home);
            var credentials = joins.Count > 0 ? new MeshCredentials(joins[0].Mesh, joins[0].Secret) : OwnCredentials(home, mesh.MeshName);
            return new MeshSetup(key, credentials, joins, home, auto);
        }
        catch (IdentityException e)
        {
            key?.Dispose();
            throw new CommandException(e.Message, ExitCodes.ConfigInvalid);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            key?.Dispose();
            throw new CommandException($"Cannot use the mesh-llm home {home}: {e.Message} Check its permissions, or set MESH_LLM_HOME to another folder.", ExitCodes.ConfigInvalid);
        }
    }
}
