namespace MqttPS.Core.Protocol
{
    /// <summary>Subscription option bits 4-5 (MQTT 5.0 section 3.8.3.1).</summary>
    public enum RetainHandling : byte
    {
        SendAtSubscribe = 0,
        SendAtSubscribeIfNew = 1,
        DoNotSend = 2,
    }
}
