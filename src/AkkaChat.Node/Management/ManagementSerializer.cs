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
            default:
                throw new System.Runtime.Serialization.SerializationException($"unknown management manifest '{manifest}'");
        }
    }
}
