using Akka.Actor;
using Akka.Serialization;

namespace AkkaChat.Node.Management;

/// <summary>
/// Serializer 4710 for <see cref="IManagementMessage"/>s: a fixed binary layout per short manifest
/// (length-prefixed UTF-8 strings, little-endian integers). Management messages carry a few strings,
/// so a schema compiler would add more than it saves; the layout is versioned by the manifest.
/// </summary>
public sealed class ManagementSerializer(ExtendedActorSystem system) : SerializerWithStringManifest(system)
{
    public override int Identifier => 4710;

    public override string Manifest(object o) => o switch
    {
        RuntimeSettingsPublished => "RSP",
        RuntimeSettingsQuery => "RSQ",
        RuntimeSettingsReport => "RSR",
        TraceQuery => "TQ",
        TraceHops => "TH",
        KickRequest => "KR",
        SessionsRequest => "SQ",
        SessionsReport => "SR",
        UserStatusRequest => "UQ",
        UserStatusReport => "UR",
        _ => throw new ArgumentException($"cannot serialize {o.GetType()}"),
    };

    public override byte[] ToBinary(object obj)
    {
        using var stream = new MemoryStream();
        using (var w = new BinaryWriter(stream))
        {
            switch (obj)
            {
                case RuntimeSettingsPublished p:
                    w.Write(p.Origin);
                    w.Write(p.Hocon);
                    break;
                case RuntimeSettingsQuery:
                    break;
                case RuntimeSettingsReport r:
                    w.Write(r.Node);
                    w.Write(r.Hocon);
                    break;
                case TraceQuery q:
                    w.Write(q.ServerMsgId);
                    break;
                case TraceHops h:
                    w.Write(h.Hops.Count);
                    foreach (var hop in h.Hops)
                    {
                        w.Write(hop.ServerMsgId);
                        w.Write(hop.AtUnixMs);
                        w.Write(hop.Node);
                        w.Write(hop.Actor);
                        w.Write(hop.What);
                    }

                    break;
                case KickRequest k:
                    w.Write(k.Phone);
                    break;
                case SessionsRequest q:
                    w.Write(q.Phone);
                    break;
                case SessionsReport r:
                    w.Write(r.Node);
                    w.Write(r.Connections.Count);
                    foreach (var c in r.Connections)
                    {
                        w.Write(c);
                    }

                    break;
                case UserStatusRequest q:
                    w.Write(q.Phone);
                    break;
                case UserStatusReport r:
                    w.Write(r.Node);
                    w.Write(r.Answered);
                    w.Write(r.Registered);
                    w.Write(r.Session);
                    w.Write(r.SessionSinceMs);
                    w.Write(r.QueuedItems);
                    w.Write(r.OutboxReceipts);
                    w.Write(r.LastSessionEndedAtMs);
                    break;
                default:
                    throw new ArgumentException($"cannot serialize {obj.GetType()}");
            }
        }

        return stream.ToArray();
    }

    public override object FromBinary(byte[] bytes, string manifest)
    {
        using var r = new BinaryReader(new MemoryStream(bytes));
        switch (manifest)
        {
            case "RSP":
                return new RuntimeSettingsPublished(r.ReadString(), r.ReadString());
            case "RSQ":
                return RuntimeSettingsQuery.Instance;
            case "RSR":
                return new RuntimeSettingsReport(r.ReadString(), r.ReadString());
            case "TQ":
                return new TraceQuery(r.ReadString());
            case "TH":
                var count = r.ReadInt32();
                var hops = new List<TraceHop>(count);
                for (var i = 0; i < count; i++)
                {
                    hops.Add(new TraceHop(r.ReadString(), r.ReadInt64(), r.ReadString(), r.ReadString(), r.ReadString()));
                }

                return new TraceHops(hops);
            case "KR":
                return new KickRequest(r.ReadString());
            case "SQ":
                return new SessionsRequest(r.ReadString());
            case "SR":
                var node = r.ReadString();
                var n = r.ReadInt32();
                var connections = new List<string>(n);
                for (var i = 0; i < n; i++)
                {
                    connections.Add(r.ReadString());
                }

                return new SessionsReport(node, connections);
            case "UQ":
                return new UserStatusRequest(r.ReadString());
            case "UR":
                return new UserStatusReport(r.ReadString(), r.ReadBoolean(), r.ReadBoolean(), r.ReadString(), r.ReadInt64(), r.ReadInt32(), r.ReadInt32(), r.ReadInt64());
            default:
                throw new System.Runtime.Serialization.SerializationException($"unknown management manifest '{manifest}'");
        }
    }
}
