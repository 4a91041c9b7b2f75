namespace MqttPS.Core.Broker.Bridges
{
    /// <summary>Which way a bridge topic carries messages: out to the remote broker, in from it, or both.</summary>
    public enum MqttBridgeDirection
    {
        Out,
        In,
        Both,
    }
}
