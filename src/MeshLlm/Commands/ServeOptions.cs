using System.CommandLine;

namespace MeshLlm.Commands;

/// <summary>The serve options of the root command, each mapped to its configuration key.</summary>
internal static class ServeOptions
{
    public static readonly Option<string[]> Model = new("--model", "-m")
    {
        Description = "Model to serve: a GGUF file, a catalog name or alias (downloaded into the models folder when missing; see " +
            "`mesh-llm download`), a Hugging Face URL or org/repo/file.gguf. Its API name is the file name without .gguf. Repeat it to ask " +
            "the mesh for more models: the first is served here, the others (paths or names) are announced as wanted, for other nodes to serve.",
        HelpName = "MODEL",
    };

    public static readonly Option<int?> Port = new("--port")
    {
        Description = "Port of the OpenAI-compatible API on 127.0.0.1 [default: 9337; 0 picks a free port].",
        HelpName = "N",
    };

    public static readonly Option<string?> Backend = new("--backend")
    {
        Description = "Inference engine: auto (llama.cpp when its binaries are found, else embedded), embedded or llamacpp [default: auto].",
        HelpName = "auto|embedded|llamacpp",
    };

    public static readonly Option<string?> BinDir = new("--bin-dir")
    {
        Description = "Folder with llama-server and rpc-server [default: $MESH_LLM_BIN_DIR, next to mesh-llm, then PATH].",
        HelpName = "DIR",
    };

    public static readonly Option<string?> Device = new("--device")
    {
        Description = "llama.cpp device: auto, cpu, cuda, rocm, vulkan or metal [default: auto, detected].",
        HelpName = "DEVICE",
    };

    public static readonly Option<string?> Draft = new("--draft")
    {
        Description = "Draft GGUF model for speculative decoding (llama.cpp backend); runs on the same device.",
        HelpName = "PATH",
    };

    public static readonly Option<int?> Threads = new("--threads", "-t")
    {
        Description = "CPU threads for inference [default: all cores].",
        HelpName = "N",
    };

    public static readonly Option<int?> ContextSize = new("--ctx-size", "-c")
    {
        Description = "Context tokens per request [default: the model's training context, at most 4096].",
        HelpName = "TOKENS",
    };

    public static readonly Option<int?> Parallel = new("--parallel", "-np")
    {
        Description = "Requests decoded at once; more wait their turn in order [default: 4].",
        HelpName = "N",
    };

    public static readonly Option<bool> NoDraft = new("--no-draft")
    {
        Description = "Do not use the catalog's draft model for speculative decoding (by default it is used when on disk, and fetched with a catalog --model).",
    };

    public static readonly Option<bool> Force = new("--force")
    {
        Description = "Download a catalog --model even if it does not fit this machine's memory (a mesh may split it).",
    };

    public static readonly Option<double?> MaxVram = new("--max-vram")
    {
        Description = "Most memory this node offers models, in GB (10^9 bytes); fit and split decisions use it [default: all the machine has].",
        HelpName = "GB",
    };

    public static readonly Option<bool> Split = new("--split")
    {
        Description = "Split this node's model over at least one partner (llama.cpp nodes of the same model) even when it fits here.",
    };

    public static readonly Option<string[]> Join = new("--join")
    {
        Description = "Join the mesh of this invite token (repeatable; tried in order). Without --model the node serves nothing (a standby peer).",
        HelpName = "TOKEN",
    };

    public static readonly Option<string[]> Advertise = new("--advertise")
    {
        Description = "Address to put in this node's invite token besides its interface addresses, e.g. a public name (repeatable) [a bare host gets the mesh port].",
        HelpName = "HOST[:PORT]",
    };

    public static readonly Option<int?> BindPort = new("--bind-port")
    {
        Description = "TCP port of the mesh listener (all interfaces) [default: 0, a free port].",
        HelpName = "N",
    };

    public static readonly Option<string?> MeshName = new("--mesh-name")
    {
        Description = "Name of the mesh this node starts; the same name gives the same mesh id [default: an unnamed mesh, id kept in $MESH_LLM_HOME/mesh-id].",
        HelpName = "NAME",
    };

    public static readonly Option<bool> Client = new("--client")
    {
        Description = "Passive client: joins with --join, runs no engine and is not a peer; fetches the mesh's routing table. Uses a throwaway node key.",
    };

    public static readonly Option<bool> Auto = new("--auto")
    {
        Description = "Find a mesh on Nostr and join the best one (a mesh you were in before, long-running, good models, your --region); " +
            "with none, start one: the model for this machine if it is on disk, else a small starter model first while that one downloads. " +
            "Without --mesh-name only unnamed and community meshes are considered.",
    };

    public static readonly Option<bool> Publish = new("--publish")
    {
        Description = "List this mesh on Nostr (every 60 s, expiring after 120 s, deleted when the node stops) so others can find it with --auto or discover.",
    };

    public static readonly Option<string?> Region = new("--region")
    {
        Description = "Region of this mesh in its listing (free text such as EU or US-West); with --auto, meshes of this region are preferred.",
        HelpName = "REGION",
    };

    public static readonly Option<int?> MaxClients = new("--max-clients")
    {
        Description = "Withdraw the listing while this many --client nodes are connected, and list again below it [default: 0, no limit].",
        HelpName = "N",
    };

    public static readonly Option<string[]> NostrRelay = new("--nostr-relay")
    {
        Description = "Nostr relay for publishing and discovery (repeatable; replaces the defaults wss://relay.damus.io, wss://nos.lol, wss://relay.nostr.band).",
        HelpName = "URL",
    };

    public static readonly Option<int?> ConsolePort = new("--console")
    {
        Description = "Port of the local console (GET /api/status) on 127.0.0.1 [default: 3131; 0 picks a free port].",
        HelpName = "PORT",
    };

    public static readonly Option<bool> NoConsole = new("--no-console") { Description = "Do not start the local console." };

    public static readonly Option<string> LogLevel = new("--log-level")
    {
        Description = "Log detail on stderr: trace, debug, info, warning or error.",
        DefaultValueFactory = _ => "info",
    };

    public static readonly Option<string> LogFormat = new("--log-format")
    {
        Description = "Log format on stderr: text, or json (one JSON object per line, for tools).",
        DefaultValueFactory = _ => "text",
    };

    static ServeOptions()
    {
        Backend.AcceptOnlyFromAmong("auto", "embedded", "llamacpp");
        Device.AcceptOnlyFromAmong([.. Inference.DeviceDetector.Devices]);
        LogLevel.AcceptOnlyFromAmong("trace", "debug", "info", "warning", "error");
        LogFormat.AcceptOnlyFromAmong("text", "json");
        Port.Validators.Add(r => { if (r.GetValue(Port) is < 0 or > 65535) r.AddError("--port must be between 0 and 65535."); });
        Threads.Validators.Add(r => { if (r.GetValue(Threads) is < 1) r.AddError("--threads must be at least 1."); });
        ContextSize.Validators.Add(r => { if (r.GetValue(ContextSize) is < 64) r.AddError("--ctx-size must be at least 64 tokens."); });
        BindPort.Validators.Add(r => { if (r.GetValue(BindPort) is < 0 or > 65535) r.AddError("--bind-port must be between 0 and 65535."); });
        ConsolePort.Validators.Add(r => { if (r.GetValue(ConsolePort) is < 0 or > 65535) r.AddError("--console must be between 0 and 65535."); });
        MaxVram.Validators.Add(r => { if (r.GetValue(MaxVram) is <= 0) r.AddError("--max-vram must be a positive number of GB, e.g. 24 or 0.5."); });
        MaxClients.Validators.Add(r => { if (r.GetValue(MaxClients) is < 0) r.AddError("--max-clients must be 0 (no limit) or more."); });
        NostrRelay.Validators.Add(r =>
        {
            foreach (var relay in r.GetValue(NostrRelay) ?? [])
            {
                if (Discovery.DiscoveryOptions.CheckRelay(relay) is { } problem)
                {
                    r.AddError("--nostr-relay: " + problem);
                }
            }
        });
        Parallel.Validators.Add(r => { if (r.GetValue(Parallel) is < 1 or > 64) r.AddError("--parallel must be between 1 and 64."); });
    }

    public static IEnumerable<Option> All =>
        [Model, Port, Backend, BinDir, Device, Draft, NoDraft, Force, Threads, ContextSize, Parallel, MaxVram, Split, Join, Advertise, BindPort, MeshName, Client, Auto, Publish, Region, MaxClients, NostrRelay, ConsolePort, NoConsole, LogLevel, LogFormat];

    /// <summary>Flags the user set, as configuration keys: the highest-precedence configuration source.</summary>
    public static Dictionary<string, string?> ToConfiguration(ParseResult result)
    {
        var values = new Dictionary<string, string?>();
        void Set<T>(Option<T> option, string key)
        {
            if (result.GetResult(option) is { Implicit: false } && result.GetValue(option) is { } value)
            {
                values[key] = Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        void SetList(Option<string[]> option, string key)
        {
            var list = result.GetValue(option) ?? [];
            for (var i = 0; i < list.Length; i++)
            {
                values[$"{key}:{i}"] = list[i];
            }
        }

        var models = result.GetValue(Model) ?? [];
        if (models.Length > 0)
        {
            values["Inference:ModelPath"] = models[0];
            for (var i = 0; i < models.Length; i++)
            {
                values[$"Mesh:Wanted:{i}"] = models[i].EndsWith(".gguf", StringComparison.OrdinalIgnoreCase) ? Models.ModelName.FromPath(models[i]) : models[i];
            }
        }

        Set(Port, "Routing:Port");
        Set(Backend, "Inference:Backend");
        Set(BinDir, "Inference:BinDir");
        Set(Device, "Inference:Device");
        Set(Draft, "Inference:DraftPath");
        Set(Threads, "Inference:Threads");
        Set(ContextSize, "Inference:ContextSize");
        Set(Parallel, "Inference:Parallel");
        Set(MaxVram, "Planning:MaxVramGb");
        Set(Split, "Planning:ForceSplit");
        SetList(Join, "Mesh:Join");
        SetList(Advertise, "Mesh:Advertise");
        Set(BindPort, "Mesh:BindPort");
        Set(MeshName, "Mesh:MeshName");
        Set(Client, "Mesh:Client");
        Set(Auto, "Discovery:Auto");
        Set(Publish, "Discovery:Publish");
        Set(Region, "Discovery:Region");
        Set(MaxClients, "Discovery:MaxClients");
        SetList(NostrRelay, "Discovery:Relays");
        Set(ConsolePort, "Console:Port");
        if (result.GetValue(NoConsole))
        {
            values["Console:Enabled"] = "false";
        }

        return values;
    }
}
