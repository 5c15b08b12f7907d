using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace AkkaChat.Node.Modules;

public static class ModuleHostingExtensions
{
    /// <summary>
    /// Adds <typeparamref name="TModule"/> to the node, once however often it is asked for. Each
    /// module's own <c>AddXxx</c> calls this; the node starts modules in the order they were added.
    /// </summary>
    public static IServiceCollection AddNodeModule<TModule>(this IServiceCollection services)
        where TModule : class, INodeModule
    {
        services.TryAddEnumerable(ServiceDescriptor.Singleton<INodeModule, TModule>());
        return services;
    }

    /// <summary>
    /// As <see cref="AddNodeModule{TModule}(IServiceCollection)"/>, built by <paramref name="create"/>:
    /// for a module handed only its own settings record out of the node's settings.
    /// </summary>
    public static IServiceCollection AddNodeModule<TModule>(this IServiceCollection services, Func<IServiceProvider, TModule> create)
        where TModule : class, INodeModule
    {
        services.TryAddEnumerable(ServiceDescriptor.Singleton<INodeModule, TModule>(create));
        return services;
    }
}
