using System;
using MqttPS.Core.Protocol;

namespace MqttPS.Core.Client
{
    /// <summary>
    /// A connection state change: Connected, Disconnected (with the broker's DISCONNECT reason code and reason
    /// string, or the exception that broke the link), Reconnecting (attempt number and the back-off delay before
    /// it) and Reconnected (whether the session was resumed).
    /// </summary>
    public sealed class MqttConnectionStateChangedEventArgs : EventArgs
    {
        public MqttConnectionStateChangedEventArgs(MqttConnectionState state)
        {
            State = state;
            Timestamp = DateTimeOffset.Now;
        }

        public MqttConnectionState State { get; }
        public DateTimeOffset Timestamp { get; }
        public DisconnectReasonCode? ReasonCode { get; internal set; }
        public string Reason { get; internal set; }
        public Exception Exception { get; internal set; }
        public int Attempt { get; internal set; }
        public TimeSpan Delay { get; internal set; }
        public bool SessionPresent { get; internal set; }
        /// <summary>True when the disconnect was asked for by this client (DisconnectAsync/Dispose).</summary>
        public bool ClientInitiated { get; internal set; }
        /// <summary>Disconnected: true when an automatic reconnect follows, false when the connection has ended for good.</summary>
        public bool WillReconnect { get; internal set; }

        public override string ToString()
        {
            switch (State)
            {
                case MqttConnectionState.Reconnecting: return "Reconnecting (attempt " + Attempt + " in " + Delay.TotalMilliseconds + " ms)";
                case MqttConnectionState.Reconnected: return "Reconnected" + (SessionPresent ? " (session present)" : " (new session)");
                case MqttConnectionState.Disconnected: return "Disconnected" + (ReasonCode.HasValue ? " " + ReasonCode : "") + (Reason != null ? ": " + Reason : Exception != null ? ": " + Exception.Message : "");
                default: return State.ToString();
            }
        }
    }
}
