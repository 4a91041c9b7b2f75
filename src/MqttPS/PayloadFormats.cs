using System.Management.Automation;
using MqttPS.Core.Shell;

namespace MqttPS
{
    internal static class PayloadFormats
    {
        /// <summary>-AsString, -AsJson and -AsBytes exclude each other; none means text when it is UTF-8, else bytes.</summary>
        public static PayloadFormat From(PSCmdlet cmdlet, bool asString, bool asJson, bool asBytes)
        {
            var count = (asString ? 1 : 0) + (asJson ? 1 : 0) + (asBytes ? 1 : 0);
            if (count > 1)
                cmdlet.ThrowTerminatingError(ErrorRecords.InvalidArgument("ConflictingPayloadFormats", "Use only one of -AsString, -AsJson and -AsBytes.", null));
            return asString ? PayloadFormat.String : asJson ? PayloadFormat.Json : asBytes ? PayloadFormat.Bytes : PayloadFormat.Auto;
        }
    }
}
