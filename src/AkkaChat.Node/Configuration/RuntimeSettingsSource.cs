namespace AkkaChat.Node.Configuration;

/// <summary>
/// The current <see cref="RuntimeSettings"/>, shared by every connection. Reading is one volatile
/// load, so a connection looks it up when it needs it instead of subscribing to changes.
/// </summary>
public sealed class RuntimeSettingsSource(RuntimeSettings initial)
{
    private volatile RuntimeSettings _current = initial;

    public RuntimeSettings Current => _current;

    public event Action<RuntimeSettings, RuntimeSettings>? Changed;

    public void Update(RuntimeSettings next)
    {
        var previous = _current;
        if (previous == next)
        {
            return;
        }

        _current = next;
        Changed?.Invoke(previous, next);
    }
}
