namespace MqttPS.Core.Shell
{
    /// <summary>Creates the client behind a new connection; the default creates the engine's MqttClient.</summary>
    public interface IMqttShellClientFactory
    {
        IMqttShellClient Create(MqttConnectionSettings settings);
    }
}
