// The EventBridge pattern of the change events that start event-driven rescans
// ("AWS API Call via CloudTrail": management events that can change an InfluxDB
// instance's exposure or encryption), used by the scanner stack's rule
// (serverless.yml) and the member accounts' forwarding rule
// (member-events.cjs). The event names are lib/app/events.ts's EC2_EVENTS and
// ELB_EVENTS: test/app/template.test.ts fails while they differ.
const EC2_EVENTS = [
  'AuthorizeSecurityGroupIngress',
  'RevokeSecurityGroupIngress',
  'ModifySecurityGroupRules',
  'ModifyInstanceAttribute',
  'ModifyNetworkInterfaceAttribute',
  'RunInstances',
  'StartInstances',
  'CreateTags',
  'DeleteTags',
  'AttachVolume',
  'AssociateAddress',
  'EnableEbsEncryptionByDefault',
  'DisableEbsEncryptionByDefault',
  'ModifyManagedPrefixList',
  'CreateRoute',
  'ReplaceRoute',
  'DeleteRoute',
  'AssociateRouteTable',
  'ReplaceRouteTableAssociation',
  'DisassociateRouteTable',
  'AttachInternetGateway',
  'DetachInternetGateway',
  'CreateNetworkAclEntry',
  'ReplaceNetworkAclEntry',
  'DeleteNetworkAclEntry',
  'ReplaceNetworkAclAssociation',
];
const ELB_EVENTS = [
  'CreateLoadBalancer',
  'DeleteLoadBalancer',
  'CreateListener',
  'ModifyListener',
  'DeleteListener',
  'RegisterTargets',
  'DeregisterTargets',
  'SetSecurityGroups',
  'SetSubnets',
  'CreateRule',
  'ModifyRule',
  'DeleteRule',
  'ModifyTargetGroup',
  'RegisterInstancesWithLoadBalancer',
  'DeregisterInstancesFromLoadBalancer',
  'CreateLoadBalancerListeners',
  'DeleteLoadBalancerListeners',
  'ApplySecurityGroupsToLoadBalancer',
];

/** Successful calls only (a failed call changed nothing). */
const changePattern = {
  source: ['aws.ec2', 'aws.elasticloadbalancing'],
  'detail-type': ['AWS API Call via CloudTrail'],
  detail: {
    eventSource: ['ec2.amazonaws.com', 'elasticloadbalancing.amazonaws.com'],
    eventName: [...EC2_EVENTS, ...ELB_EVENTS],
    errorCode: [{ exists: false }],
  },
};

module.exports = { changePattern, EC2_EVENTS, ELB_EVENTS };
