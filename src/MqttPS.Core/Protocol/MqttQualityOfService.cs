namespace MqttPS.Core.Protocol
{
    public enum MqttQualityOfService : byte
    {
        AtMostOnce = 0,
        AtLeastOnce = 1,
        ExactlyOnce = 2,
    }
}
