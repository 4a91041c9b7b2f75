namespace MqttPS.Core.Transport.Epoll
{
    /// <summary>A descriptor registered with an <see cref="EpollEventLoop"/>: a connected socket
    /// (<see cref="EpollSocketStream"/>) or a listening one (<see cref="EpollAcceptor"/>).</summary>
    internal interface IEpollEventHandler
    {
        /// <summary>Called on the loop's thread with the epoll flags for this descriptor. Must not block: every other
        /// socket of the loop waits meanwhile.</summary>
        void OnEvents(uint flags);
    }
}
