using System.Management.Automation;
using System.Management.Automation.Runspaces;
using MqttPS.Core.Shell;

namespace MqttPS
{
    /// <summary>
    /// Remove-Module MqttPS (and Import-Module -Force, which removes the module first) stops what the module started
    /// in that runspace: background subscriptions (their event subscribers and -Action jobs), connections (with a
    /// DISCONNECT) and embedded brokers. A later import starts from an empty session, so the old objects do not
    /// block their names. Windows PowerShell 5.1 has no IModuleAssemblyCleanup, so the module's OnRemove script block
    /// (which every PowerShell runs on removal) calls <see cref="OnRemove"/>; it is set when the module is first used.
    /// </summary>
    public static class ModuleCleanup
    {
        private const string Hook = "[MqttPS.ModuleCleanup]::OnRemove()";

        /// <summary>Makes removing <paramref name="module"/> clean up, unless something else already handles OnRemove.</summary>
        internal static void Attach(PSModuleInfo module)
        {
            if (module != null && module.OnRemove == null) module.OnRemove = ScriptBlock.Create(Hook);
        }

        /// <summary>Called by the module's OnRemove in the runspace that removes the module.</summary>
        public static void OnRemove()
        {
            var runspace = Runspace.DefaultRunspace;
            if (runspace == null) return;
            var session = MqttShellSession.Forget(runspace);
            if (session == null) return;
            foreach (var subscription in session.Subscriptions.All) EventBridge.Unregister(subscription);
            session.CloseAll(null);
        }
    }
}
